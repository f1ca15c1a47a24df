package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
)

// Subscribing while the SMTP relay refuses connections: the page answers
// at once, the contact is pending and its confirmation waits in the queue
// with the refusal recorded; once the relay is back it arrives within
// the retry interval, exactly once.
func TestSubscribeWhileTheRelayIsDown(t *testing.T) {
	b := setup(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // connections are refused from now on
	targets, err := mailer.ParseTargets("smtp://" + addr + "?tls=none&concurrency=2")
	if err != nil {
		t.Fatal(err)
	}
	b.withDispatcher(mailer.NewPool(targets[0], "example.org"))

	browser, csrf := b.subscribeForm()
	asked := time.Now()
	status, page, _ := b.fetch(browser, "POST", "/subscribe?lang=en", subscription(csrf, "awa@example.org"))
	answered := time.Since(asked)
	if status != http.StatusOK || !strings.Contains(page, "Check your inbox") {
		t.Fatalf("subscribe with the relay down: %d\n%s", status, page)
	}
	t.Logf("the page answered in %v with the relay down", answered)
	b.h.public.background.wait()
	if c := b.contact("awa@example.org"); c.Status != "pending" {
		t.Fatalf("contact %+v", c)
	}
	var row struct {
		Status   string `db:"status"`
		Reply    string `db:"smtp_reply"`
		Attempts int    `db:"attempts"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for row.Status != "deferred" {
		if time.Now().After(deadline) {
			t.Fatalf("the confirmation was not deferred: %+v", row)
		}
		time.Sleep(20 * time.Millisecond)
		b.db.Get(&row, `SELECT status, smtp_reply, attempts FROM messages WHERE kind = 'confirmation'`)
	}
	if !strings.Contains(row.Reply, "connect to "+addr) {
		t.Fatalf("the refusal is not recorded: %+v", row)
	}

	mb := mailbox.New(mailbox.Options{})
	if _, err := mb.Start(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	back := time.Now()
	b.db.Get(&row, `SELECT status, smtp_reply, attempts FROM messages WHERE kind = 'confirmation'`)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := mb.Wait(ctx, 1); err != nil {
		t.Fatal("the confirmation never arrived")
	}
	waited := time.Since(back)
	// RetryBase is 200 ms, doubling per attempt, ±20%; a second for the
	// slack of a loaded machine.
	bound := time.Duration(float64(200*time.Millisecond)*float64(uint(1)<<max(row.Attempts-1, 0))*1.2) + time.Second
	t.Logf("relay back after %d attempts; the confirmation arrived %v later (bound %v)", row.Attempts, waited, bound)
	if waited > bound {
		t.Errorf("the confirmation took %v after the relay came back", waited)
	}
	time.Sleep(time.Second)
	if msgs := mb.Messages(); len(msgs) != 1 || msgs[0].To[0] != "awa@example.org" {
		t.Fatalf("%d messages arrived: %+v", len(msgs), msgs)
	}
	if confirmLink.FindString(b.mails()[0].Text) == "" {
		t.Fatal("no confirmation link in the message")
	}
}

// The messages list filters by kind, status and contact, pages by id,
// and names each bad parameter.
func TestListMessages(t *testing.T) {
	b := setup(t)
	browser, csrf := b.subscribeForm()
	for _, email := range []string{"one@example.org", "two@example.org"} {
		if st, _, _ := b.fetch(browser, "POST", "/subscribe?lang=fr", subscription(csrf, email)); st != 200 {
			t.Fatalf("subscribe %s: %d", email, st)
		}
		b.settle() // queued in this order
	}
	two := b.contact("two@example.org")
	type page struct {
		Messages []struct {
			ID        int64  `json:"id"`
			Kind      string `json:"kind"`
			To        string `json:"to"`
			Language  string `json:"language"`
			Status    string `json:"status"`
			ContactID int64  `json:"contact_id"`
		} `json:"messages"`
		Next string `json:"next"`
	}
	var p page
	if st := b.api("GET", fmt.Sprintf("/api/v1/messages?kind=confirmation&contact_id=%d", two.ID), "", &p); st != 200 ||
		len(p.Messages) != 1 || p.Messages[0].To != "two@example.org" || p.Messages[0].Language != "fr" ||
		p.Messages[0].Status != "queued" || p.Messages[0].ContactID != two.ID || p.Next != "" {
		t.Fatalf("by contact: %d %+v", st, p)
	}
	var first, second page
	b.api("GET", "/api/v1/messages?limit=1", "", &first)
	b.api("GET", "/api/v1/messages?limit=1&after="+first.Next, "", &second)
	if len(first.Messages) != 1 || len(second.Messages) != 1 || first.Messages[0].To != "two@example.org" ||
		second.Messages[0].To != "one@example.org" {
		t.Fatalf("pages: %+v then %+v", first, second)
	}
	var e errorAnswer
	for query, want := range map[string]string{
		"kind=newsletter":  `kind: "newsletter" is not one of`,
		"status=lost":      `status: "lost" is not one of`,
		"contact_id=x":     `contact_id: "x" is not a non-negative integer`,
		"limit=5000":       "limit: 5000 is more than the maximum",
		"to=a@example.org": "to: unknown parameter",
	} {
		e = errorAnswer{}
		if st := b.api("GET", "/api/v1/messages?"+query, "", &e); st != 422 || !strings.Contains(strings.Join(e.Details, "\n"), want) {
			t.Errorf("%s: %d %+v, want %q", query, st, e, want)
		}
	}
}
