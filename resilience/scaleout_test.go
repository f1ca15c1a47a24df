package resilience_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/postgres/pgtest"
)

// scaleOutRecipients is the release the scale-out test sends. Measured
// under -race on 2 busy cores, the whole test takes well under 2 minutes.
const scaleOutRecipients = 50_000

// The deployment the operations guide describes, on loopback: a three-node
// JetStream cluster with the streams on three replicas, serve (API and
// relay) and three `communique dispatch` processes. One dispatcher sends a
// while alone, then two more join; mid-send the work stream's leader node
// is killed, then a dispatcher, and the node comes back. Every recipient
// gets the release; duplicates stay within what the killed dispatcher had
// in flight. The figures are logged (go test -v -run TestScaleOut
// ./resilience/).
func TestScaleOut(t *testing.T) {
	const n = scaleOutRecipients
	sk := newSink(t)
	cluster := natstest.StartCluster(t, 3)
	dsn := pgtest.URL(t)
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=8", sk.addr)
	r3 := []string{"-stream-replicas", "3"}
	startProcess(t, serveArgs(t, dsn, cluster.URLs, smtpURL, append(r3, "-no-dispatcher")...)...)
	s := serviceAt(t, dsn)
	t.Cleanup(func() {
		if t.Failed() {
			var rows []struct {
				ID, Through int64
				Status      string
			}
			s.db.Select(&rows, `SELECT id, planned_through AS through, status FROM dispatches ORDER BY id`)
			t.Logf("dispatches: %+v; deliveries by status: %d queued, %d leased", rows,
				s.count(t, `SELECT count(*) FROM deliveries WHERE status = 'queued'`), len(s.leased(t)))
		}
	})
	s.audience(t, n)
	dispatchers := []*process{startProcess(t, dispatchArgs(dsn, cluster.URLs, smtpURL, r3...)...)}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	id := s.publish(t)

	// One dispatcher, then three.
	one := sk.rate(t, n/25, n/5)
	for range 2 {
		dispatchers = append(dispatchers, startProcess(t, dispatchArgs(dsn, cluster.URLs, smtpURL, r3...)...))
	}
	three := sk.rate(t, n/5+n/25, 2*n/5)

	// The work stream's leader node dies; the cluster elects another.
	leader := workLeader(t, cluster)
	beforeNode := sk.recentRate(2 * time.Second)
	atNodeKill, _, _ := sk.counts()
	nodeKilled := time.Now()
	cluster.Nodes[leader].Stop()
	sk.waitTotal(t, n/2)
	time.Sleep(time.Until(nodeKilled.Add(2 * time.Second)))

	// A dispatcher dies with deliveries in hand; its leases run out and
	// the others send them.
	before := sk.recentRate(2 * time.Second)
	victim := dispatchers[1]
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	killed := time.Now()
	// The dead process's leases stay until they run out; the live ones'
	// come and go within milliseconds.
	held := s.leased(t)
	atKill, _, _ := sk.counts()
	planned := s.count(t, `SELECT count(*) FROM deliveries`)
	if atKill >= n {
		t.Fatalf("all %d sent before the dispatcher was killed: the test no longer interrupts anything", n)
	}
	cluster.Nodes[leader].Start()
	orphansSent := s.waitSent(t, held, 60*time.Second)
	s.waitAllSent(t, sk, n, 90*time.Second)
	nodeRecovery := sk.recovery(nodeKilled, beforeNode)
	dispRecovery := sk.recovery(killed, before)
	took := time.Since(start)
	total, distinct, dups := sk.counts()
	lost := s.inFlightLost(t)
	t.Logf("%d recipients in %v (%.0f messages/s overall), 8 SMTP connections per dispatcher", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	t.Logf("1 dispatcher: %.0f messages/s; 3 dispatchers: %.0f messages/s", one, three)
	t.Logf("node%d (work stream leader) killed at %d messages: sending back to half its rate after %v", leader+1, atNodeKill, nodeRecovery.Round(time.Millisecond))
	t.Logf("dispatcher killed at %d messages, %d planned, %d leased: back to half the rate after %v, all of them sent after %v",
		atKill, planned, len(held), dispRecovery.Round(time.Millisecond), orphansSent.Round(time.Millisecond))
	t.Logf("received %d, distinct %d, duplicates %d; in flight in the killed dispatcher: %d", total, distinct, dups, lost)
	// What sending costs, for sizing: the dispatchers' CPU time, the
	// killed one's until its death included.
	var cpu time.Duration
	for _, d := range dispatchers {
		if d.cmd.ProcessState == nil {
			d.terminate(30 * time.Second)
		}
		cpu += d.cmd.ProcessState.UserTime() + d.cmd.ProcessState.SystemTime()
	}
	t.Logf("the dispatchers used %v of CPU: %.0f messages per CPU-second", cpu.Round(time.Millisecond), float64(total)/cpu.Seconds())
	if dups > lost {
		t.Fatalf("%d duplicates, more than the %d messages in flight at the kill", dups, lost)
	}
	s.checkReport(t, id, n)
	if err := replicasCurrent(cluster, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// workLeader is the index of the node leading the work stream.
func workLeader(t *testing.T, c *natstest.Cluster) int {
	t.Helper()
	nc, err := nats.Connect(c.URLs)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, events.WorkStream)
	if err != nil {
		t.Fatal(err)
	}
	info := st.CachedInfo()
	if info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("the work stream is not on three replicas: %+v", info.Cluster)
	}
	var i int
	if _, err := fmt.Sscanf(info.Cluster.Leader, "node%d", &i); err != nil || i < 1 || i > len(c.Nodes) {
		t.Fatalf("work stream leader %q", info.Cluster.Leader)
	}
	return i - 1
}

// replicasCurrent waits until every replica of both streams has caught up,
// the node that came back included.
func replicasCurrent(c *natstest.Cluster, timeout time.Duration) error {
	nc, err := nats.Connect(c.URLs)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var last string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		last = ""
		for _, name := range []string{events.EventStream, events.WorkStream} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			st, err := js.Stream(ctx, name)
			cancel()
			if err != nil {
				last += fmt.Sprintf("%s: %v; ", name, err)
				continue
			}
			info := st.CachedInfo()
			if info.Cluster == nil || info.Cluster.Leader == "" {
				last += name + ": no leader; "
				continue
			}
			for _, r := range info.Cluster.Replicas {
				if !r.Current {
					last += fmt.Sprintf("%s: replica %s behind; ", name, r.Name)
				}
			}
			if len(info.Cluster.Replicas) != 2 {
				last += fmt.Sprintf("%s: %d replicas besides the leader; ", name, len(info.Cluster.Replicas))
			}
		}
		if last == "" {
			return nil
		}
	}
	return fmt.Errorf("streams not whole %v after the node came back: %s", timeout, strings.TrimSuffix(last, "; "))
}

// leased returns the deliveries some worker holds now.
func (s *service) leased(t *testing.T) []int64 {
	t.Helper()
	var ids []int64
	if err := s.db.Select(&ids, `SELECT id FROM deliveries WHERE status = 'queued' AND lease_until > now()`); err != nil {
		t.Fatal(err)
	}
	return ids
}

// waitSent waits until none of ids is queued and returns how long it took.
func (s *service) waitSent(t *testing.T, ids []int64, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		var left int
		if err := s.db.Get(&left, `SELECT count(*) FROM deliveries WHERE id = ANY($1) AND status = 'queued'`, pq.Array(ids)); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%d of the %d deliveries held at the kill still queued after %v", left, len(ids), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rate waits until the sink has received from messages, then until it has
// received to, and returns the messages per second in between.
func (s *sink) rate(t *testing.T, from, to int) float64 {
	t.Helper()
	s.waitTotal(t, from)
	start := time.Now()
	s.waitTotal(t, to)
	total, _, _ := s.counts()
	return float64(total-from) / time.Since(start).Seconds()
}

// recentRate is the messages per second received over the last d.
func (s *sink) recentRate(d time.Duration) float64 {
	since := time.Now().Add(-d)
	n := 0
	for _, at := range s.times() {
		if at.After(since) {
			n++
		}
	}
	return float64(n) / d.Seconds()
}

// recovery is how long after from the sink's rate came back to half of
// before and held for a second; 0 when it never fell below.
func (s *sink) recovery(from time.Time, before float64) time.Duration {
	const window = time.Second
	ts := s.times()
	for w := from; w.Before(time.Now().Add(-window)); w = w.Add(100 * time.Millisecond) {
		n := 0
		for _, at := range ts {
			if !at.Before(w) && at.Before(w.Add(window)) {
				n++
			}
		}
		if float64(n)/window.Seconds() >= before/2 {
			return w.Sub(from)
		}
	}
	return time.Since(from)
}
