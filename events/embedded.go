package events

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// StartEmbedded runs a NATS server with JetStream inside the process, keeping
// its state under dir. It listens on loopback only, on port (-1 picks any);
// clients must present token unless it is empty.
func StartEmbedded(dir string, port int, token string) (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{
		Authorization: token,
		ServerName:    "communique-embedded",
		Host:          "127.0.0.1",
		Port:          port,
		JetStream:     true,
		StoreDir:      filepath.Join(dir, "jetstream"),
		NoSigs:        true,
		NoLog:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded NATS did not become ready")
	}
	return ns, nil
}
