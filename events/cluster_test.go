package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
)

// TestStreamsScaleToThreeReplicas upgrades R1 streams holding work on a
// three-node cluster of nats-server 2.9 to R3, then kills the work
// stream's leader: every message is still there.
func TestStreamsScaleToThreeReplicas(t *testing.T) {
	const works, evts = 600, 200
	cluster := natstest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	nc, err := events.Connect(cluster.URLs, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.EnsureStreamsWith(ctx, js, events.StreamOptions{Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	for i := range works {
		b := events.Batch{DispatchID: 1, FirstID: int64(i * 10), LastID: int64(i*10 + 9)}
		data, _ := json.Marshal(b)
		if _, err := js.Publish(ctx, events.SubjectBatch, data, jetstream.WithMsgID(b.MsgID())); err != nil {
			t.Fatalf("publish batch %d: %v", i, err)
		}
	}
	for i := range evts {
		if _, err := js.Publish(ctx, events.SubjectProgress, fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatalf("publish event %d: %v", i, err)
		}
	}
	checkStream(ctx, t, js, events.WorkStream, 1, works)
	checkStream(ctx, t, js, events.EventStream, 1, evts)
	// A dispatcher's durable consumer, made while the stream had one copy.
	planner, err := js.CreateOrUpdateConsumer(ctx, events.EventStream, jetstream.ConsumerConfig{
		Durable: "planner", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: "communique.release.>",
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := events.EnsureStreamsWith(ctx, js, events.StreamOptions{Replicas: 3}); err != nil {
		t.Fatalf("scale to R3: %v", err)
	}
	work := waitCurrent(ctx, t, js, events.WorkStream, works)
	waitCurrent(ctx, t, js, events.EventStream, evts)
	// Consumers that leave their replicas to the stream follow it to R3,
	// so a dispatcher's place in the queue survives a node too.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ci, err := planner.Info(ctx)
		if err == nil && ci.Cluster != nil && len(ci.Cluster.Replicas) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the planner consumer did not follow its stream to three copies: %+v, %v", ci, err)
		}
	}
	// Doing it again changes nothing and loses nothing.
	if err := events.EnsureStreamsWith(ctx, js, events.StreamOptions{Replicas: 3}); err != nil {
		t.Fatalf("ensure R3 again: %v", err)
	}

	leader := nodeNamed(t, cluster, work.Cluster.Leader)
	leader.Stop()
	t.Logf("killed %s, the work stream's leader", work.Cluster.Leader)
	killed := time.Now()
	got := drainWork(ctx, t, js, works)
	t.Logf("%d batches read from the survivors %v after the kill", len(got), time.Since(killed).Round(time.Millisecond))
	if len(got) != works {
		t.Fatalf("after the leader died: %d distinct batches of %d", len(got), works)
	}
}

// checkStream checks a stream's replicas, limits and message count.
func checkStream(ctx context.Context, t *testing.T, js jetstream.JetStream, name string, replicas int, msgs uint64) *jetstream.StreamInfo {
	t.Helper()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	if info.Config.Replicas != replicas {
		t.Errorf("%s: %d replicas, want %d", name, info.Config.Replicas, replicas)
	}
	if info.State.Msgs != msgs {
		t.Errorf("%s: %d messages, want %d", name, info.State.Msgs, msgs)
	}
	for _, want := range events.StreamConfigs(events.StreamOptions{Replicas: replicas}) {
		if want.Name != name {
			continue
		}
		if c := info.Config; c.MaxBytes != want.MaxBytes || c.MaxMsgs != want.MaxMsgs || c.MaxAge != want.MaxAge || c.Discard != want.Discard {
			t.Errorf("%s limits: bytes %d msgs %d age %v discard %v; want %d %d %v %v", name,
				c.MaxBytes, c.MaxMsgs, c.MaxAge, c.Discard, want.MaxBytes, want.MaxMsgs, want.MaxAge, want.Discard)
		}
	}
	return info
}

// waitCurrent waits until all three copies of a stream are current.
func waitCurrent(ctx context.Context, t *testing.T, js jetstream.JetStream, name string, msgs uint64) *jetstream.StreamInfo {
	t.Helper()
	var last string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := js.Stream(ctx, name)
		if err == nil {
			info, err := s.Info(ctx)
			if err == nil && info.Cluster != nil && info.Cluster.Leader != "" && len(info.Cluster.Replicas) == 2 &&
				info.Cluster.Replicas[0].Current && info.Cluster.Replicas[1].Current {
				return checkStream(ctx, t, js, name, 3, msgs)
			}
			if err == nil && info.Cluster != nil {
				last = fmt.Sprintf("leader %q, %d followers", info.Cluster.Leader, len(info.Cluster.Replicas))
			} else {
				last = fmt.Sprint(err)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s had no three current copies within 20s: %s", name, last)
	return nil
}

func nodeNamed(t *testing.T, c *natstest.Cluster, name string) *natstest.Process {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(name, "node%d", &i); err != nil || i < 1 || i > len(c.Nodes) {
		t.Fatalf("no node named %q", name)
	}
	return c.Nodes[i-1]
}

// drainWork takes batches off the work queue as a dispatcher would, from
// whichever node now leads it, until it has want distinct ones or ctx
// ends, and returns them.
func drainWork(ctx context.Context, t *testing.T, js jetstream.JetStream, want int) map[events.Batch]bool {
	t.Helper()
	var cons jetstream.Consumer
	var err error
	for ctx.Err() == nil {
		// Without a leader a request goes unanswered: ask again, briefly,
		// until the survivors have elected one.
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		cons, err = js.CreateOrUpdateConsumer(attempt, events.WorkStream, jetstream.ConsumerConfig{
			Durable: "drain", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: events.SubjectBatch,
		})
		cancel()
		if err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("work consumer after the leader died: %v", err)
	}
	got := map[events.Batch]bool{}
	// A consumer made just after an election may answer fetches with
	// nothing for a while, longer on a busy machine, and may even report
	// nothing pending at first (seen once in 25 runs with the machine's
	// cores kept busy): neither empty fetches nor its counts say that the
	// batches are gone, only ctx's end does.
	for ctx.Err() == nil && len(got) < want {
		msgs, err := cons.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		n := 0
		for m := range msgs.Messages() {
			var b events.Batch
			if err := json.Unmarshal(m.Data(), &b); err != nil {
				t.Fatalf("batch %q: %v", m.Data(), err)
			}
			got[b] = true
			if err := m.Ack(); err != nil {
				t.Fatalf("ack: %v", err)
			}
			n++
		}
		if msgs.Error() != nil {
			t.Logf("fetch: %v", msgs.Error())
		}
		if n > 0 {
			continue
		}
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := cons.Info(attempt)
		cancel()
		if err != nil {
			t.Logf("consumer info: %v", err)
			continue
		}
		t.Logf("an empty fetch with %d of %d batches read, %d pending, %d unacknowledged",
			len(got), want, info.NumPending, info.NumAckPending)
	}
	return got
}
