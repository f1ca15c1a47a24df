package web

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"
)

// How long /subscribe takes to answer tells nothing about the address:
// new, subscribed already or refused, the page does the same work and
// leaves the rest until after it has answered. Lower quartiles of interleaved
// requests in random order, each after the previous one's work is done,
// keep the comparison fair on a busy machine.
func TestSubscribeTimingTellsNothing(t *testing.T) {
	b := setup(t)
	b.restart(b.trusting("127.0.0.1/32"))
	b.api("POST", "/api/v1/contacts", `{"email": "active@example.org", "regions": ["africa"]}`, nil)
	b.api("POST", "/api/v1/suppressions", `{"email": "refused@example.org", "reason": "bounced"}`, nil)
	browser, csrf := b.subscribeForm()

	const warmUp, rounds = 5, 40
	kinds := []string{"new", "active", "refused"}
	took := map[string][]time.Duration{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := range warmUp + rounds {
		for _, k := range rng.Perm(len(kinds)) {
			email := kinds[k] + "@example.org"
			if kinds[k] == "new" {
				email = fmt.Sprintf("new%d@example.org", round)
			}
			b.settle()
			start := time.Now()
			status, _, _ := b.fetch(browser, "POST", "/subscribe", subscription(csrf, email),
				"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", round*len(kinds)+k+1))
			d := time.Since(start)
			if status != http.StatusOK {
				t.Fatalf("%s: %d", email, status)
			}
			if round >= warmUp {
				took[kinds[k]] = append(took[kinds[k]], d)
			}
		}
	}
	// The lower quartile: a busy machine (other test packages run at the
	// same time) adds delays of its own, mostly to the slower half; the
	// work a request does shows in its quicker answers. Before the work
	// moved after the answer, new addresses took over twenty times as
	// long as the others.
	var quartiles []time.Duration
	for _, k := range kinds {
		slices.Sort(took[k])
		quartiles = append(quartiles, took[k][rounds/4])
	}
	fastest, slowest := slices.Min(quartiles), slices.Max(quartiles)
	t.Logf("lower quartiles: new %v, active %v, refused %v", quartiles[0], quartiles[1], quartiles[2])
	if slowest-fastest > max(1500*time.Microsecond, fastest*4/10) {
		t.Errorf("lower quartiles differ by %v: new %v, active %v, refused %v", slowest-fastest, quartiles[0], quartiles[1], quartiles[2])
	}
	// The work was done after all.
	b.settle()
	if c := b.contact(fmt.Sprintf("new%d@example.org", warmUp+rounds-1)); c.Status != "pending" {
		t.Errorf("the last new address: %+v", c)
	}
}
