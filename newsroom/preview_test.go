package newsroom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/links"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
)

// noticeTo records an embargoed notice of release id to a new mission,
// as the dispatcher would, and returns its delivery id.
func noticeTo(t *testing.T, b *bundle, id int64, email, lang string) int64 {
	t.Helper()
	var delivery int64
	pgtest.Exec(t, b.db, `INSERT INTO contacts (email, kind, country) VALUES ($1, 'mission', 'MR')`, email)
	if err := b.db.Get(&delivery, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT s.id, c.id, c.email, $3, 'sent' FROM dispatches s, contacts c
		WHERE s.release_id = $1 AND s.variant = 'embargoed' AND c.email = $2
		RETURNING id`, id, email, lang); err != nil {
		t.Fatal(err)
	}
	return delivery
}

func TestPreviewWorksForItsRecipientUntilTheLift(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	until := t0.Add(time.Hour)
	id := b.create(t, spec{slug: "embargoed", until: &until, langs: map[string]releases.Translation{
		"en": {Title: "Embargoed title", Body: "Embargoed **text**."}, "fr": {Title: "Titre sous embargo", Body: "Texte."}}})
	if _, err := b.lc.Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	delivery := noticeTo(t, b, id, "mission.mr@example.org", "fr")
	signer := links.NewSigner(secret)
	link := "/preview/" + signer.Token("preview", delivery, time.Time{})

	res, body := b.get(t, link)
	wantStatus(t, res, body, 200)
	for _, want := range []string{"Titre sous embargo", "SOUS EMBARGO JUSQU&#39;AU 1 décembre 2026, 09:00 UTC", "mission.mr@example.org",
		`<meta name="robots" content="noindex, nofollow">`} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "og:title") || strings.Contains(body, "ld+json") || strings.Contains(body, `rel="canonical"`) {
		t.Error("a private preview carries public metadata")
	}
	if cc := res.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var actor string
	if err := b.db.Get(&actor, `SELECT actor FROM audit_log WHERE action = 'preview' AND release_id = $1 AND (details->>'delivery_id')::bigint = $2`, id, delivery); err != nil {
		t.Fatalf("the opening is not in the audit log: %v", err)
	}
	if actor != "contact:mission.mr@example.org" {
		t.Errorf("audit actor %q", actor)
	}
	// The public page still does not exist.
	res, body = b.get(t, "/releases/embargoed")
	wantStatus(t, res, body, 404)

	// Forged, altered or meant for something else: refused alike.
	tok := signer.Token("preview", delivery, time.Time{})
	// One character of the signed part changed.
	other := byte('A')
	if tok[10] == 'A' {
		other = 'B'
	}
	altered := tok[:10] + string(other) + tok[11:]
	for _, bad := range []string{
		"/preview/" + links.NewSigner("another secret").Token("preview", delivery, time.Time{}),
		"/preview/" + altered,
		"/preview/" + signer.Token("unsubscribe", delivery, time.Time{}),
		"/preview/" + signer.Token("preview", delivery+1000, time.Time{}),
		"/preview/not-a-token",
	} {
		res, body := b.get(t, bad)
		wantStatus(t, res, body, 404)
		if strings.Contains(body, "Titre sous embargo") || strings.Contains(body, "Embargoed title") {
			t.Errorf("%s shows the release", bad)
		}
	}

	b.clk.set(until)
	if n, err := b.lc.LiftDue(ctx); n != 1 || err != nil {
		t.Fatalf("LiftDue = %d, %v", n, err)
	}
	res, body = b.get(t, link)
	wantStatus(t, res, body, 410)
	if strings.Contains(body, "Titre sous embargo") {
		t.Error("the preview still shows the release after the lift")
	}
}

func TestPreviewOfAPublicMessageIsRefused(t *testing.T) {
	b := setup(t)
	id := b.publish(t, spec{slug: "public"})
	pgtest.Exec(t, b.db, `INSERT INTO contacts (email, kind, country) VALUES ('j@example.org', 'journalist', 'MR')`)
	var delivery int64
	if err := b.db.Get(&delivery, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language)
		SELECT s.id, c.id, c.email, 'en' FROM dispatches s, contacts c WHERE s.release_id = $1 AND c.email = 'j@example.org'
		RETURNING id`, id); err != nil {
		t.Fatal(err)
	}
	res, body := b.get(t, "/preview/"+links.NewSigner(secret).Token("preview", delivery, time.Time{}))
	wantStatus(t, res, body, 404)
}
