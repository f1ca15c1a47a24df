// Package events names the product's NATS subjects, defines the JSON events
// other systems may subscribe to, and sets up the JetStream streams.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Subjects of the integration surface (SPEC section 5). Their payloads
// change only by adding fields.
const (
	SubjectPublished = "communique.release.published"
	SubjectEmbargoed = "communique.release.embargoed"
	SubjectLifted    = "communique.release.lifted"
	SubjectRecalled  = "communique.release.recalled"
	SubjectCorrected = "communique.release.corrected"
	SubjectPostponed = "communique.release.postponed"
	SubjectProgress  = "communique.delivery.progress"

	// SubjectBatch carries work for dispatchers: a range of deliveries to send.
	SubjectBatch = "communique.work.batch"
)

// Stream names.
const (
	// EventStream keeps the release and delivery events.
	EventStream = "COMMUNIQUE_EVENTS"
	// WorkStream is a work queue of delivery batches shared by dispatchers.
	WorkStream = "COMMUNIQUE_WORK"
)

// Version of the event payloads.
const Version = 1

// Event is the payload of every release event.
type Event struct {
	Type       string    `json:"type"`
	Version    int       `json:"version"`
	ReleaseID  int64     `json:"release_id"`
	Slug       string    `json:"slug"`
	Timestamp  time.Time `json:"timestamp"`
	DispatchID int64     `json:"dispatch_id,omitempty"`
	Variant    string    `json:"variant,omitempty"`
	// EmbargoUntil is the lift time, on events of embargoed releases.
	EmbargoUntil *time.Time `json:"embargo_until,omitempty"`
}

// Batch is the payload of a work item: the queued deliveries of one dispatch
// whose ids lie in [FirstID, LastID].
type Batch struct {
	DispatchID int64 `json:"dispatch_id" db:"dispatch_id"`
	FirstID    int64 `json:"first_id" db:"first_id"`
	LastID     int64 `json:"last_id" db:"last_id"`
}

// MsgID is the JetStream de-duplication id of a batch.
func (b Batch) MsgID() string {
	return fmt.Sprintf("batch.%d.%d.%d", b.DispatchID, b.FirstID, b.LastID)
}

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	_, err := js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) || (err != nil && strings.Contains(err.Error(), "already in use")) {
		_, err = js.UpdateStream(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("set up stream %s: %w", cfg.Name, err)
	}
	return nil
}

// Unanswered reports whether err is JetStream not answering in time,
// saying it is briefly unavailable, or finding too few peers to place a
// stream on: what a busy cluster, one electing a leader, or one whose
// nodes are restarting does for a while (a leader that has not yet
// noticed its peers are gone answers the last). Asking again later may
// succeed, unlike for a refused configuration or a server without
// JetStream. A cluster too small for the replicas asked for gives the
// last answer for ever; the process then says so for a minute, the
// reply's words in each warning, and exits with it.
func Unanswered(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return true
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode == errCodeNotAvailable || apiErr.ErrorCode == errCodeNoPeers
	}
	return false
}

// patience is how long UntilAnswered keeps asking.
const patience = time.Minute

// UntilAnswered calls ask until it succeeds, fails otherwise than
// Unanswered, ctx ends, or patience has passed, backing off from 250 ms
// to 5 s and logging each unanswered try as a warning about what. It is
// for what a process asks JetStream as it starts: a cluster that is busy
// or electing a leader is no reason for a process joining it to exit.
func UntilAnswered(ctx context.Context, log *slog.Logger, what string, ask func() error) error {
	giveUp := time.Now().Add(patience)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := ask()
		if err == nil || ctx.Err() != nil || !Unanswered(err) || time.Now().Add(wait).After(giveUp) {
			return err
		}
		log.Warn("JetStream did not answer "+what+", will ask again", "error", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// errCodeNotAvailable is JetStream's "system temporarily unavailable",
// which jetstream names no constant for.
const errCodeNotAvailable jetstream.ErrorCode = 10008

// errCodeNoPeers is JetStream's "no suitable peers for placement".
const errCodeNoPeers jetstream.ErrorCode = 10005

// redactURLs hides the credentials of NATS URLs for errors and logs.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = url.User("(set)")
			parts[i] = strings.Replace(u.String(), "%28set%29", "(set)", 1)
		} else if err != nil {
			parts[i] = "(unparsable URL)"
		}
	}
	return strings.Join(parts, ",")
}
