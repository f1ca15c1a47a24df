package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// The preview and a test send show the organisation's branding, as
// readers get it.
func TestPreviewAndTestSendCarryTheBranding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	if _, err := branding.Save(ctx, b.db, branding.Update{Name: "Example Migration Office",
		Address: "17 route des Morillons\n1218 Geneva", Footer: "Media office, open every day."}, "test"); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(3 * time.Hour)
	d := &releases.Draft{Release: releases.Release{Slug: "branded", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Agreement signed", Body: "The office opens."}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"}, EmbargoUntil: &until}}
	id, err := (&releases.Lifecycle{DB: b.db}).Create(ctx, d, "user:po@example.org")
	if err != nil {
		t.Fatal(err)
	}
	po := b.browser()
	po.signIn("po@example.org", pw)
	wantStatus(t, "the preview's frame", po.get(fmt.Sprintf("/office/releases/%d/preview/public/en", id)), http.StatusOK,
		"Example Migration Office", "1218 Geneva", "Media office, open every day.")
	preview := fmt.Sprintf("/office/releases/%d/preview", id)
	po.get(preview)
	if res := po.post(fmt.Sprintf("/office/releases/%d/test", id), url.Values{"emails": {""}}); res.status != http.StatusSeeOther {
		t.Fatalf("test send: %d\n%s", res.status, res.body)
	}
	if n := count(t, b.db, `SELECT count(*) FROM messages WHERE kind = 'test'
		AND position('Example Migration Office' in convert_from(data, 'UTF8')) > 0
		AND position('Media office, open every day.' in convert_from(data, 'UTF8')) > 0`); n != 2 {
		t.Errorf("%d of the 2 test messages carry the branding", n)
	}
}
