package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// A client's own X-Forwarded-For is believed only from a trusted proxy:
// it neither dodges the rate limit nor becomes the consent address.
func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	b := setup(t)
	spoof := func(prefix string, xff func(i int) string) (passed int) {
		browser, csrf := b.subscribeForm()
		for i := range 30 {
			switch status, _, _ := b.fetch(browser, "POST", "/subscribe", subscription(csrf, fmt.Sprintf("%s%d@example.org", prefix, i)),
				"X-Forwarded-For", xff(i)); status {
			case http.StatusOK:
				passed++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("request %d: %d", i, status)
			}
		}
		return passed
	}
	consentIPs := func(prefix string) []string {
		b.settle()
		var ips []string
		if err := b.db.Select(&ips, `SELECT DISTINCT consent_ip FROM contacts WHERE email LIKE $1 || '%' ORDER BY 1`, prefix); err != nil {
			t.Fatal(err)
		}
		return ips
	}

	// By default no proxy is trusted, not even one on the same host.
	if n := spoof("direct", func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }); n != 10 {
		t.Errorf("%d of 30 spoofed requests passed, want 10", n)
	}
	if ips := consentIPs("direct"); !slices.Equal(ips, []string{"127.0.0.1"}) {
		t.Errorf("consent addresses %v, want the peer's", ips)
	}

	// Behind trusted proxies, the client is the first address from the
	// right that is not one of them; what it wrote further left is ignored.
	b.restart(b.trusting("127.0.0.0/8, 10.0.0.0/8"))
	if n := spoof("proxied", func(i int) string { return fmt.Sprintf("203.0.113.%d, 198.51.100.7, 10.1.2.3", i+1) }); n != 10 {
		t.Errorf("%d of 30 requests from one client behind proxies passed, want 10", n)
	}
	if ips := consentIPs("proxied"); !slices.Equal(ips, []string{"198.51.100.7"}) {
		t.Errorf("consent addresses %v, want the client's", ips)
	}
	browser, csrf := b.subscribeForm()
	if status, _, _ := b.fetch(browser, "POST", "/subscribe", subscription(csrf, "other@example.org"),
		"X-Forwarded-For", "198.51.100.8, 10.1.2.3"); status != http.StatusOK {
		t.Errorf("another client behind the same proxy: %d", status)
	}
}

// A flood of requests from other clients neither frees a limited client
// nor gets a capped address more confirmations: the client store refuses
// new clients while full, and the mails to an address are counted in the
// database, which a restart does not reset either.
func TestLimitsSurviveFloodsAndRestarts(t *testing.T) {
	b := setup(t)
	// The store holds 10,000 clients; 100 make the same test quick.
	b.restart(b.trusting("127.0.0.1/32"), func(h *Handler) {
		h.public = newPublic(h)
		h.public.byClient = newLimiter(10, 6*time.Minute, 100)
	})
	browser, csrf := b.subscribeForm()
	post := func(client, email string) (int, string) {
		status, page, _ := b.fetch(browser, "POST", "/subscribe", subscription(csrf, email), "X-Forwarded-For", client)
		return status, page
	}
	mailsTo := func(addr string) int {
		n := 0
		for _, m := range b.mails() {
			if m.ToEmail == addr {
				n++
			}
		}
		return n
	}

	for i := range 10 {
		if status, _ := post("198.51.100.1", "victim@example.org"); status != http.StatusOK {
			t.Fatalf("request %d of the limited client: %d", i, status)
		}
	}
	if status, page := post("198.51.100.1", "victim@example.org"); status != http.StatusTooManyRequests || !strings.Contains(page, "Too many subscription requests") {
		t.Fatalf("11th request: %d", status)
	}
	if n := mailsTo("victim@example.org"); n != 3 {
		t.Fatalf("%d confirmations to one address, want 3", n)
	}

	busy := 0
	for i := range 105 {
		switch status, page := post(fmt.Sprintf("203.0.113.%d", i+1), fmt.Sprintf("flood%d@example.org", i)); {
		case status == http.StatusTooManyRequests && strings.Contains(page, "too many requests right now"):
			busy++
		case status != http.StatusOK:
			t.Fatalf("flood request %d: %d", i, status)
		}
	}
	if busy != 6 {
		t.Errorf("%d flood requests refused, want the 6 past the store's 100 clients", busy)
	}
	if status, _ := post("198.51.100.1", "victim@example.org"); status != http.StatusTooManyRequests {
		t.Errorf("the limited client after the flood: %d", status)
	}

	// Once its window has passed, a client is forgotten and room is made.
	later := time.Now().Add(61 * time.Minute)
	b.settle()
	b.h.public.now = func() time.Time { return later }
	if status, _ := post("198.51.100.9", "newcomer@example.org"); status != http.StatusOK {
		t.Errorf("a new client once the others' windows passed: %d", status)
	}

	// Neither the flood nor a restart gives the capped address more mail.
	b.restart(b.trusting("127.0.0.1/32"))
	browser, csrf = b.subscribeForm()
	if status, _ := post("198.51.100.2", "victim@example.org"); status != http.StatusOK || mailsTo("victim@example.org") != 3 {
		t.Errorf("after a flood and a restart: %d, %d confirmations", status, mailsTo("victim@example.org"))
	}
	// A day after the first ones, the address may have one again.
	b.db.MustExec(`UPDATE subscriber_mails SET sent_at = sent_at - interval '25 hours'`)
	if post("198.51.100.2", "victim@example.org"); mailsTo("victim@example.org") != 4 {
		t.Errorf("a day later: %d confirmations, want 4", mailsTo("victim@example.org"))
	}
}
