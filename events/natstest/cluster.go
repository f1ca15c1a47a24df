package natstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a JetStream cluster of the machine's nats-server processes on
// loopback, joined by routes, each with a store of its own.
type Cluster struct {
	Nodes []*Process
	// URLs lists every node's client URL, comma-separated.
	URLs string
}

// StartCluster starts an n-node cluster and waits until JetStream has
// elected its meta leader; it fails the test, with the reason, when the
// cluster does not form.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("natstest: %s is required (install Debian's nats-server): %v", Binary, err)
	}
	clientPorts, routePorts := make([]int, n), make([]int, n)
	routes := make([]string, n)
	for i := range n {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", routePorts[i])
	}
	c := &Cluster{}
	urls := make([]string, n)
	for i := range n {
		dir := t.TempDir()
		conf := filepath.Join(dir, "nats.conf")
		body := fmt.Sprintf(`server_name: node%d
listen: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster {
  name: communique-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, i+1, clientPorts[i], filepath.Join(dir, "js"), routePorts[i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatalf("natstest: %v", err)
		}
		p := &Process{port: clientPorts[i], dir: dir, t: t, args: []string{"-c", conf}}
		p.URL = fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i])
		urls[i] = p.URL
		p.Start()
		t.Cleanup(p.Stop)
		c.Nodes = append(c.Nodes, p)
	}
	c.URLs = strings.Join(urls, ",")
	c.waitForJetStream(t)
	return c
}

// waitForJetStream waits until the cluster answers JetStream requests,
// which it does only once its nodes agree on a meta leader.
func (c *Cluster) waitForJetStream(t testing.TB) {
	t.Helper()
	nc, err := nats.Connect(c.URLs)
	if err != nil {
		t.Fatalf("natstest: connect to the cluster: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, lastErr = js.AccountInfo(ctx)
		cancel()
		if lastErr == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("natstest: the %d-node JetStream cluster did not form within 20s: %v", len(c.Nodes), lastErr)
}
