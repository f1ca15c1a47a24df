package natstest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// SecureServer is an embedded NATS server with JetStream that speaks only
// TLS and admits only one NKey user, as production servers are set up.
type SecureServer struct {
	// URL is the tls:// URL of the server.
	URL string
	// CA signed the server's certificate; SeedFile holds the user's seed.
	CA       *CA
	SeedFile string
}

// Secure starts a SecureServer for t.
func Secure(t testing.TB) *SecureServer {
	t.Helper()
	ca := NewCA(t, "nats")
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	dir := t.TempDir()
	seedFile := filepath.Join(dir, "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatalf("natstest: %v", err)
	}
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: filepath.Join(dir, "jetstream"),
		TLS: true, TLSConfig: ca.ServerTLS(t, nil), TLSTimeout: 2,
		Nkeys: []*server.NkeyUser{{Nkey: pub}},
	})
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("natstest: secure NATS server did not start")
	}
	return &SecureServer{URL: "tls://" + ns.Addr().String(), CA: ca, SeedFile: seedFile}
}
