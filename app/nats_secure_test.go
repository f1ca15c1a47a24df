package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/app"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/postgres/pgtest"
)

// TestStartsOnSecureNATS starts the service against a NATS server that
// wants TLS and an NKey user: the settings reach the connection, and the
// streams and the dispatcher's consumers are made through it.
func TestStartsOnSecureNATS(t *testing.T) {
	ns := natstest.Secure(t)
	setup(t, ns.URL, func(c *app.Config) {
		c.NATSCAFile, c.NATSCreds = ns.CA.File, ns.SeedFile
	})
	nc, err := events.ConnectSecure(ns.URL, "check", events.Security{CAFile: ns.CA.File, CredsFile: ns.SeedFile})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, events.WorkStream)
	if err != nil {
		t.Fatalf("work stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers == 0 || info.Config.MaxMsgs != events.WorkMaxMsgs {
		t.Errorf("work stream: %d consumers, max %d messages", info.State.Consumers, info.Config.MaxMsgs)
	}
}

// TestRefusesWrongNATSCA checks that a CA that did not sign the server's
// certificate stops the start with an error naming the problem.
func TestRefusesWrongNATSCA(t *testing.T) {
	ns := natstest.Secure(t)
	cfg := app.Config{
		DatabaseURL: pgtest.URL(t), NATSURL: ns.URL, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		NATSCAFile: natstest.NewCA(t, "other").File, NATSCreds: ns.SeedFile,
		API: true, Dev: true, Migrate: true,
	}
	a := app.New(cfg, slog.New(slog.DiscardHandler))
	defer a.Close()
	err := a.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("start with the wrong CA: %v", err)
	}
}
