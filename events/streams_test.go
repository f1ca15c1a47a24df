package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
)

// TestStreamsGainLimitsInPlace starts from the streams as earlier releases
// made them, with no disk limits and work queued, on both servers the
// product supports: EnsureStreams adds the limits and keeps the work.
func TestStreamsGainLimitsInPlace(t *testing.T) {
	for name, url := range map[string]func(*testing.T) string{
		"nats-server 2.9": func(t *testing.T) string { return natstest.External(t).URL },
		"embedded":        func(t *testing.T) string { return natstest.Embedded(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			nc, err := events.Connect(url(t), "test")
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			for _, cfg := range []jetstream.StreamConfig{
				{Name: events.EventStream, Subjects: []string{"communique.release.>", "communique.delivery.>"},
					MaxAge: 7 * 24 * time.Hour, Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute},
				{Name: events.WorkStream, Subjects: []string{"communique.work.>"}, Retention: jetstream.WorkQueuePolicy,
					Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute},
			} {
				if _, err := js.CreateStream(ctx, cfg); err != nil {
					t.Fatal(err)
				}
			}
			const works = 50
			for i := range works {
				data, _ := json.Marshal(events.Batch{DispatchID: 7, FirstID: int64(i), LastID: int64(i)})
				if _, err := js.Publish(ctx, events.SubjectBatch, data); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := js.Publish(ctx, events.SubjectPublished, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			if err := events.EnsureStreams(ctx, js); err != nil {
				t.Fatalf("update: %v", err)
			}
			checkStream(ctx, t, js, events.WorkStream, 1, works)
			checkStream(ctx, t, js, events.EventStream, 1, 1)
		})
	}
}

// Unanswered tells a cluster that has not answered yet from one that
// refused: only the first is worth asking again.
func TestUnanswered(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("set up stream X: %w", context.DeadlineExceeded), true},
		{nats.ErrTimeout, true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{fmt.Errorf("set up stream X: %w", &jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement"}), true},
		{context.Canceled, false},
		{nats.ErrNoResponders, false},
		{jetstream.ErrJetStreamNotEnabled, false},
		{jetstream.ErrStreamNameAlreadyInUse, false},
		{&jetstream.APIError{Code: 400, ErrorCode: 10058, Description: "stream name already in use"}, false},
		{nil, false},
	} {
		if got := events.Unanswered(c.err); got != c.want {
			t.Errorf("Unanswered(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
