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
	"github.com/communique/communique/logtest"
	"github.com/communique/communique/postgres/pgtest"
)

// A process that starts while its JetStream cluster cannot answer (here
// two of three nodes are down, so there is no quorum) keeps asking for its
// streams, saying so, and starts once the cluster is whole again.
func TestStartWaitsForTheClusterToAnswer(t *testing.T) {
	cluster := natstest.StartCluster(t, 3)
	cluster.Nodes[1].Stop()
	cluster.Nodes[2].Stop()

	var logs logtest.Buffer
	a := app.New(app.Config{
		DatabaseURL: pgtest.URL(t), NATSURL: cluster.URLs, StreamReplicas: "3",
		DataDir: t.TempDir(), Migrate: true, Dispatcher: true,
		SMTPURL: "smtp://127.0.0.1:1?tls=none", From: "Media Office <media@example.org>",
		Secret: "test-secret-0123456789abcdef0123456789",
	}, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { a.Close() })
	started := make(chan error, 1)
	go func() { started <- a.Start(context.Background()) }()

	// Only once the process has been left unanswered do the nodes return.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), "JetStream did not answer the stream setup"); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-started:
			t.Fatalf("start ended without a cluster to answer it: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no word of the unanswered stream setup within 30s:\n%s", logs.String())
		}
	}
	cluster.Nodes[1].Start()
	cluster.Nodes[2].Start()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start after the cluster came back: %v\n%s", err, logs.String())
		}
	case <-time.After(50 * time.Second):
		t.Fatalf("start did not end within 50s of the cluster's return:\n%s", logs.String())
	}

	nc, err := events.Connect(cluster.URLs, "check")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range []string{events.EventStream, events.WorkStream} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if r := s.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s on %d replicas, want 3", name, r)
		}
	}
}
