package resilience_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/communique/communique/app"
	"github.com/communique/communique/releases"
)

// A dispatcher SIGKILLed between a request and its mail: the test send of
// a release is queued, a `communique dispatch` process claims the
// messages but cannot reach its SMTP server (it never answers) and is
// killed; the next dispatcher sends each message once.
func TestKilledDispatcherLeavesSingleMessagesQueued(t *testing.T) {
	t.Parallel()
	s := startService(t, app.Config{})
	ctx := context.Background()
	s.audience(t, 0)
	id, err := releases.Create(ctx, s.db, &releases.Release{
		Slug: "test-send", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {Title: "Accord signé", Body: "Un bureau ouvre."},
			"en": {Title: "Agreement signed", Body: "An office opens."},
		},
		Countries: []string{"MR"}, PressContacts: []string{"press@example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.app.URL()+"/api/v1/releases/"+strconv.FormatInt(id, 10)+"/test", strings.NewReader(`{"emails": ["officer@example.org"]}`))
	req.Header.Set("Authorization", "Bearer "+s.app.Config().AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("test send: %d", resp.StatusCode)
	}
	const n = 2 // French and English, public only
	if got := s.count(t, `SELECT count(*) FROM messages WHERE status = 'queued'`); got != n {
		t.Fatalf("%d messages queued, want %d", got, n)
	}

	// A server that takes connections and never says a word.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mute.Close() })
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	first := startDispatcher(t, s, "smtp://"+mute.Addr().String()+"?tls=none&concurrency=2")
	deadline := time.Now().Add(20 * time.Second)
	for s.count(t, `SELECT count(*) FROM messages WHERE lease_until > now()`) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first dispatcher claimed nothing:\n%s", first.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()

	sk := newSink(t)
	startDispatcher(t, s, "smtp://"+sk.addr+"?tls=none&concurrency=2")
	sk.waitTotal(t, n)
	time.Sleep(500 * time.Millisecond) // a second copy would come now
	// One address, one message per language: anything more is a copy.
	if total, distinct, _ := sk.counts(); total != n || distinct != 1 {
		t.Fatalf("received %d messages for %d addresses, want %d for 1", total, distinct, n)
	}
	if got := s.count(t, `SELECT count(*) FROM messages WHERE status = 'sent'`); got != n {
		t.Fatalf("%d of %d messages recorded as sent", got, n)
	}
}
