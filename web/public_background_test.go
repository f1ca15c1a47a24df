package web

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBackgroundIsBoundedAndCloses(t *testing.T) {
	logged := &errorCount{}
	b := newBackground(slog.New(logged), 2, 1, time.Second)
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	job := func(ctx context.Context) error {
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !b.submit("first", job) || !b.submit("second", job) {
		t.Fatal("the queue refused a job it has room for")
	}
	<-started
	select {
	case <-started:
		t.Fatal("two jobs ran at once with one worker")
	case <-time.After(50 * time.Millisecond):
	}
	if b.submit("third", job) {
		t.Error("a full queue took a third job")
	}
	close(release)
	b.wait()

	// A job that fails or panics is logged, and the queue goes on.
	b.submit("failing", func(context.Context) error { return errors.New("no luck") })
	b.submit("panicking", func(context.Context) error { panic("boom") })
	b.wait()
	if msg := logged.take(); !strings.Contains(msg, "no luck") || !strings.Contains(msg, "boom") {
		t.Errorf("logged %q", msg)
	}

	done := make(chan struct{})
	go func() {
		b.close()
		b.close()
		(&Handler{}).Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not return")
	}
	if b.submit("late", job) {
		t.Error("a closed queue took a job")
	}
}
