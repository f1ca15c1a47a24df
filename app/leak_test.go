package app_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/postgres/pgtest"
)

type leakContact struct {
	email, kind, country, status string
	verified                     bool
	follows                      []string // country codes and topic slugs
}

type leakRelease struct {
	id                int64
	countries, topics []string
	missions          string
	verified          bool
	recall, liftEarly bool
}

var (
	leakCountries = []string{"MR", "SN", "FR", "MX", "JP"}
	leakTopics    = []string{"migration-governance", "climate-mobility"}
	messageIDRE   = regexp.MustCompile(`^delivery-(\d+)\.release-(\d+)@`)
)

// Randomized over audiences, languages and schedules: no contact outside a
// release's embargo audience ever gets an embargoed notice, no public
// version leaves before its lift, and nobody gets a release twice.
func TestEmbargoNeverLeaks(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	b := setup(t, natstest.Embedded(t))
	seedTopics(t, b)

	var contacts []leakContact
	var csv strings.Builder
	csv.WriteString("email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n")
	csv.WriteString("press@example.org,Press,press_officer,Office,CH,en,UTC,true,,,,,\n")
	langs := []string{"fr", "en", "es;en", "ar", "en-GB", "fr-CH;en"}
	for i := 0; i < 80; i++ {
		c := leakContact{
			email:    fmt.Sprintf("c%d@example.%s", i, []string{"org", "com", "net"}[i%3]),
			kind:     []string{"journalist", "journalist", "mission"}[rng.IntN(3)],
			country:  leakCountries[rng.IntN(len(leakCountries))],
			verified: rng.IntN(2) == 0,
			status:   "active",
		}
		var countries, topics []string
		for _, x := range leakCountries {
			if rng.IntN(4) == 0 {
				countries = append(countries, x)
				c.follows = append(c.follows, x)
			}
		}
		for _, x := range leakTopics {
			if rng.IntN(4) == 0 {
				topics = append(topics, x)
				c.follows = append(c.follows, x)
			}
		}
		fmt.Fprintf(&csv, "%s,Contact %d,%s,Org,%s,%s,Europe/Paris,%t,,%s,%s,,\n", c.email, i, c.kind, c.country,
			langs[rng.IntN(len(langs))], c.verified, strings.Join(countries, ";"), strings.Join(topics, ";"))
		contacts = append(contacts, c)
	}
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(csv.String()), nil); st != 200 {
		t.Fatalf("import: %d", st)
	}
	// Some stop being reachable.
	for i := range contacts {
		if rng.IntN(8) == 0 {
			contacts[i].status = []string{"unsubscribed", "bounced", "pending", "blocked"}[rng.IntN(4)]
			pgtest.Exec(t, b.app.DB, `UPDATE contacts SET status = $1 WHERE email = $2`, contacts[i].status, contacts[i].email)
		}
	}

	var rels []*leakRelease
	for i := 0; i < 6; i++ {
		r := &leakRelease{
			countries: pick(rng, leakCountries, 1+rng.IntN(2)),
			topics:    pick(rng, leakTopics, rng.IntN(2)),
			missions:  []string{"all", "concerned", "none"}[rng.IntN(3)],
			verified:  rng.IntN(2) == 0,
			recall:    rng.IntN(4) == 0,
			liftEarly: rng.IntN(4) == 0,
		}
		until := time.Now().Add(time.Duration(2+rng.IntN(3)) * time.Second).Truncate(time.Second)
		body := fmt.Sprintf(`{"slug": "leak-%d", "original_language": "fr",
			"translations": {"fr": {"title": "Communiqué %d"}, "en": {"title": "Release %d"}, "es": {"title": "Comunicado %d"}},
			"countries": %s, "topics": %s, "embargo_until": %q,
			"embargo_audience": {"missions": %q, "verified_journalists": %t},
			"press_contacts": ["press@example.org"]}`,
			i, i, i, i, jsonList(r.countries), jsonList(r.topics), until.UTC().Format(time.RFC3339), r.missions, r.verified)
		r.id = b.create(body)
		if st, e := b.change(r.id, "publish", ""); st != 202 {
			t.Fatalf("publish: %d %+v", st, e)
		}
		rels = append(rels, r)
	}
	time.Sleep(500 * time.Millisecond)
	for _, r := range rels {
		switch {
		case r.recall:
			b.change(r.id, "recall", "")
		case r.liftEarly:
			b.change(r.id, "lift", "")
		}
	}
	time.Sleep(6 * time.Second) // every embargo has lifted and its mail gone

	byEmail := map[string]leakContact{}
	for _, c := range contacts {
		byEmail[c.email] = c
	}
	byID := map[int64]*leakRelease{}
	for _, r := range rels {
		byID[r.id] = r
	}
	versions := map[string]int{} // contact+release → embargoed or public copies
	for _, m := range b.smtp.Messages() {
		hdr := messageHeader(t, m.Data, "Message-Id")
		match := messageIDRE.FindStringSubmatch(strings.Trim(hdr, "<>"))
		if match == nil {
			t.Fatalf("message to %v has Message-ID %q", m.To, hdr)
		}
		deliveryID, _ := strconv.ParseInt(match[1], 10, 64)
		relID, _ := strconv.ParseInt(match[2], 10, 64)
		var d struct {
			Variant  string     `db:"variant"`
			LiftedAt *time.Time `db:"lifted_at"`
		}
		if err := b.app.DB.Get(&d, `SELECT s.variant, r.lifted_at FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
			JOIN releases r ON r.id = s.release_id WHERE d.id = $1`, deliveryID); err != nil {
			t.Fatal(err)
		}
		r, c := byID[relID], byEmail[m.To[0]]
		switch d.Variant {
		case "embargoed":
			if !r.inEmbargoAudience(c) {
				t.Errorf("LEAK: %s (%+v) got the embargoed notice of release %d (%+v)", c.email, c, relID, *r)
			}
			if d.LiftedAt != nil && m.Received.After(*d.LiftedAt) {
				t.Errorf("%s got an embargoed notice at %v, after the lift at %v", c.email, m.Received, *d.LiftedAt)
			}
			versions[c.email+" "+match[2]]++
		case "public":
			if d.LiftedAt == nil || m.Received.Before(*d.LiftedAt) {
				t.Errorf("%s got release %d's public version at %v, before its lift (%v)", c.email, relID, m.Received, d.LiftedAt)
			}
			if !r.inEmbargoAudience(c) && !r.followedBy(c) {
				t.Errorf("%s got release %d without following it", c.email, relID)
			}
			versions[c.email+" "+match[2]]++
		case "recall":
			// Checked below: only those who received something.
		default:
			t.Errorf("unexpected %s message", d.Variant)
		}
		if c.status != "active" {
			t.Errorf("%s is %s and still got a message", c.email, c.status)
		}
	}
	for k, n := range versions {
		if n > 1 {
			t.Errorf("%s: got the release %d times", k, n)
		}
	}
	var recallToStrangers int
	b.app.DB.Get(&recallToStrangers, `
		SELECT count(*) FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id AND s.variant = 'recall'
		WHERE NOT EXISTS (SELECT 1 FROM deliveries x JOIN dispatches xs ON xs.id = x.dispatch_id
		                  WHERE xs.release_id = s.release_id AND xs.variant <> 'recall'
		                    AND x.contact_id = d.contact_id AND x.status = 'sent')`)
	if recallToStrangers != 0 {
		t.Errorf("%d recall notices to people who had received nothing", recallToStrangers)
	}
	t.Logf("%d messages checked over %d releases", b.smtp.Count(), len(rels))
}

func (r *leakRelease) followedBy(c leakContact) bool {
	if c.status != "active" {
		return false
	}
	for _, f := range c.follows {
		if slices.Contains(r.countries, f) || slices.Contains(r.topics, f) {
			return true
		}
	}
	return false
}

func (r *leakRelease) inEmbargoAudience(c leakContact) bool {
	if c.status != "active" {
		return false
	}
	switch c.kind {
	case "mission":
		return r.missions == "all" || (r.missions == "concerned" && slices.Contains(r.countries, c.country))
	case "journalist":
		return r.verified && c.verified && r.followedBy(c)
	}
	return false
}

func pick(rng *rand.Rand, from []string, n int) []string {
	p := rng.Perm(len(from))
	out := []string{}
	for _, i := range p[:n] {
		out = append(out, from[i])
	}
	return out
}

func jsonList(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	return `["` + strings.Join(s, `","`) + `"]`
}

func messageHeader(t *testing.T, data []byte, key string) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header.Get(key)
}
