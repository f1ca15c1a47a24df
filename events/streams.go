package events

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Limits that keep a backlog bounded on disk. Each stream's worst case is
// its MaxBytes times its replicas, spread over the cluster's nodes.
const (
	// EventMaxBytes bounds the events: at a few hundred bytes each, 1 GiB
	// is millions of events, weeks of progress reports of a busy office.
	// The oldest go first, as a subscriber's history, not as work.
	EventMaxBytes = 1 << 30
	// EventMaxAge is how long a subscriber that was away can catch up.
	EventMaxAge = 7 * 24 * time.Hour

	// WorkMaxMsgs bounds the queued batches: a batch names up to 250
	// deliveries and a dispatch keeps only a window of them queued, so a
	// million batches is far beyond any real backlog.
	WorkMaxMsgs = 1_000_000
	// WorkMaxBytes bounds the queue at about 100 bytes a batch.
	WorkMaxBytes = 256 << 20
	// WorkMaxAge drops batches no dispatcher took for a day; their
	// deliveries are still queued in PostgreSQL, and the dispatchers'
	// sweep of orphaned deliveries queues them again.
	WorkMaxAge = 24 * time.Hour
)

// StreamOptions are the cluster-dependent settings of the streams.
type StreamOptions struct {
	// Replicas is how many servers keep each stream: 1 on one server, 3
	// on a cluster. Zero means 1.
	Replicas int
}

// EnsureStreams creates or updates the streams with one replica.
func EnsureStreams(ctx context.Context, js jetstream.JetStream) error {
	return EnsureStreamsWith(ctx, js, StreamOptions{})
}

// EnsureStreamsWith creates the streams or updates them in place, so what
// is queued stays: a change of replicas or limits keeps the messages. It
// uses only features of JetStream 2.9, so it works with older servers too.
func EnsureStreamsWith(ctx context.Context, js jetstream.JetStream, o StreamOptions) error {
	for _, cfg := range StreamConfigs(o) {
		if err := ensureStream(ctx, js, cfg); err != nil {
			return err
		}
	}
	return nil
}

// StreamConfigs is the configuration of each stream under o.
func StreamConfigs(o StreamOptions) []jetstream.StreamConfig {
	replicas := max(o.Replicas, 1)
	return []jetstream.StreamConfig{{
		Name:        EventStream,
		Description: "Communiqué release and delivery events",
		Subjects:    []string{"communique.release.>", "communique.delivery.>"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      EventMaxAge,
		MaxBytes:    EventMaxBytes,
		MaxMsgs:     -1,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  10 * time.Minute,
	}, {
		Name:        WorkStream,
		Description: "Communiqué delivery batches awaiting a dispatcher",
		Subjects:    []string{"communique.work.>"},
		Retention:   jetstream.WorkQueuePolicy,
		MaxAge:      WorkMaxAge,
		MaxBytes:    WorkMaxBytes,
		MaxMsgs:     WorkMaxMsgs,
		// A full queue refuses new batches rather than dropping queued
		// ones: the planner sees the error and tries again later.
		Discard:    jetstream.DiscardNew,
		Storage:    jetstream.FileStorage,
		Replicas:   replicas,
		Duplicates: 10 * time.Minute,
	}}
}
