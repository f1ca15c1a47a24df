package office

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

func TestPreviewEveryLanguageAndMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("viewer@example.org", users.Viewer, pw)
	until := time.Now().Add(3 * time.Hour)
	d := &releases.Draft{Release: releases.Release{Slug: "previewed", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {Title: "Accord signé", Body: "| Année | Budget |\n|---|---|\n| 2027 | 12 |\n"},
			"en": {Title: "Agreement signed", Body: "The office opens."}},
		Countries: []string{"MR"}, PressContacts: []string{"press@example.org"}, EmbargoUntil: &until}}
	id, err := (&releases.Lifecycle{DB: b.db}).Create(context.Background(), d, "user:po@example.org")
	if err != nil {
		t.Fatal(err)
	}
	br := b.browser()
	br.signIn("viewer@example.org", pw)
	res := br.get(fmt.Sprintf("/office/releases/%d/preview", id))
	wantStatus(t, "the preview", res, http.StatusOK, "Accord signé", "Agreement signed", "SOUS EMBARGO", "EMBARGOED",
		`id="preview-recall-en"`, `id="preview-correction-fr"`, `sandbox=""`, "Phone", "Desktop")
	for _, m := range previewMessages {
		for _, l := range []string{"fr", "en"} {
			if !strings.Contains(res.body, fmt.Sprintf(`src="/office/releases/%d/preview/%s/%s"`, id, m, l)) {
				t.Errorf("no frame for %s in %s", m, l)
			}
		}
	}
	frame := br.get(fmt.Sprintf("/office/releases/%d/preview/public/fr", id))
	wantStatus(t, "a frame", frame, http.StatusOK, "<table", "Accord signé")
	csp := frame.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("frame policy %q", csp)
	}
	wantStatus(t, "an unknown message", br.get(fmt.Sprintf("/office/releases/%d/preview/nonsense/fr", id)), http.StatusNotFound)
	wantStatus(t, "an unknown release", br.get("/office/releases/999/preview"), http.StatusNotFound)
}
