package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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

// A press officer sends the preview's messages to themselves: every
// language and message, marked as a test, queued with an audit entry and
// no delivery; a bad address list is refused whole, naming each address,
// and a viewer may not send at all.
func TestSendTestFromPreview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("viewer@example.org", users.Viewer, pw)
	until := time.Now().Add(3 * time.Hour)
	d := &releases.Draft{Release: releases.Release{Slug: "test-sent", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {Title: "Accord signé", Body: "Le bureau ouvre."},
			"en": {Title: "Agreement signed", Body: "The office opens."}},
		Countries: []string{"MR"}, PressContacts: []string{"press@example.org"}, EmbargoUntil: &until}}
	id, err := (&releases.Lifecycle{DB: b.db}).Create(context.Background(), d, "user:po@example.org")
	if err != nil {
		t.Fatal(err)
	}
	preview := fmt.Sprintf("/office/releases/%d/preview", id)
	send := fmt.Sprintf("/office/releases/%d/test", id)
	queued := func() int { return count(t, b.db, `SELECT count(*) FROM messages WHERE kind = 'test'`) }

	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	if res := viewer.get(preview); strings.Contains(res.body, `id="test-form"`) {
		t.Error("a viewer is offered the test send")
	}
	wantStatus(t, "a viewer's test send", viewer.post(send, url.Values{"emails": {"viewer@example.org"}}), http.StatusForbidden, "Press officer")

	po := b.browser()
	po.signIn("po@example.org", pw)
	wantStatus(t, "the preview", po.get(preview), http.StatusOK, `id="test-form"`, `value="po@example.org"`)
	for _, c := range []struct{ emails, want string }{
		{"a@example.com, not-an-address; a@example.com", `&#34;not-an-address&#34; is not an e-mail address`},
		{"a@example.com, A@example.com", `&#34;A@example.com&#34; is listed twice`},
		{strings.Repeat("x@example.com ", 11), "at most 10 addresses, not 11"},
	} {
		res := po.post(send, url.Values{"emails": {c.emails}})
		wantStatus(t, c.emails, res, http.StatusUnprocessableEntity, c.want, `aria-invalid="true"`, `id="preview-public-fr"`)
	}
	if n := queued(); n != 0 {
		t.Fatalf("refused test sends queued %d messages", n)
	}

	// Nothing typed: the officer's own address.
	res := po.post(send, url.Values{"emails": {""}})
	if res.status != http.StatusSeeOther || res.location != preview {
		t.Fatalf("test send: %d %s\n%s", res.status, res.location, res.body)
	}
	wantStatus(t, "after the test send", po.get(preview), http.StatusOK,
		"4 test messages queued to po@example.org: French and English, public and embargoed.")
	b.settle()
	var subjects []string
	for _, m := range b.mail.Messages() {
		if len(m.To) != 1 || m.To[0] != "po@example.org" {
			t.Errorf("a test message went to %v", m.To)
		}
		if !strings.HasPrefix(m.Subject, "[TEST] ") {
			t.Errorf("a test message is not marked: %q", m.Subject)
		}
		subjects = append(subjects, m.Subject)
	}
	if len(subjects) != 4 {
		t.Fatalf("%d test messages received: %q", len(subjects), subjects)
	}
	joined := strings.Join(subjects, "\n")
	for _, want := range []string{"SOUS EMBARGO", "EMBARGOED", "Accord signé", "Agreement signed"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no test message says %q:\n%s", want, joined)
		}
	}
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE action = 'test' AND release_id = $1 AND actor = 'user:po@example.org'
		AND details->'emails' = '["po@example.org"]' AND (details->>'messages')::int = 4`, id); n != 1 {
		t.Errorf("%d audit entries for the test send", n)
	}
	if n := count(t, b.db, `SELECT count(*) FROM dispatches WHERE release_id = $1`, id); n != 0 {
		t.Errorf("a test send recorded %d dispatches", n)
	}

	// Two other addresses, and the page in French.
	po.get(preview + "?lang=fr")
	if res := po.post(send, url.Values{"emails": {"one@example.com,\n two@example.net"}}); res.status != http.StatusSeeOther {
		t.Fatalf("a test send to two: %d\n%s", res.status, res.body)
	}
	wantStatus(t, "after the second test send", po.get(preview), http.StatusOK,
		"8 messages de test en file pour one@example.com et two@example.net : français et anglais, public et sous embargo.")
	if n := queued(); n != 12 {
		t.Errorf("%d test messages queued in all, want 12", n)
	}
}
