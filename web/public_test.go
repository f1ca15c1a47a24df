package web

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
)

// fetch sends a request with a browser-like client and returns the status
// and the body.
func (b *bundle) fetch(c *http.Client, method, path string, form url.Values, header ...string) (int, string, *http.Response) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	if !strings.HasPrefix(path, "http") {
		path = b.srv.URL + path
	}
	req, err := http.NewRequest(method, path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp
}

var (
	csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hrefOf    = func(path string) *regexp.Regexp { return regexp.MustCompile(`href="(` + path + `[^"]+)"`) }
)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

func linkOf(t *testing.T, page, path string) string {
	t.Helper()
	m := hrefOf(path).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to %s in the page:\n%s", path, page)
	}
	return html.UnescapeString(m[1])
}

// subscription is a filled subscribe form.
func subscription(csrf, email string, extra ...string) url.Values {
	v := url.Values{"csrf": {csrf}, "email": {email}, "name": {"Awa Ndiaye"}, "organisation": {"Le Soleil"},
		"region": {"africa"}, "topic": {"migration-governance"}, "lang1": {"fr"}, "lang2": {"en"}, "timezone": {"Africa/Dakar"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v[extra[i]] = append(v[extra[i]][:0:0], extra[i+1])
	}
	return v
}

type contactRow struct {
	ID            int64          `db:"id"`
	Status        string         `db:"status"`
	Languages     pq.StringArray `db:"languages"`
	Timezone      string         `db:"timezone"`
	ConsentAt     *time.Time     `db:"consent_at"`
	ConsentSource string         `db:"consent_source"`
	ConsentIP     string         `db:"consent_ip"`
	ConfirmedAt   *time.Time     `db:"confirmed_at"`
	ConfirmedIP   string         `db:"confirmed_ip"`
	Subs          pq.StringArray `db:"subs"`
	Suppressed    string         `db:"suppressed"`
}

func (b *bundle) contact(email string) contactRow {
	b.t.Helper()
	var c contactRow
	err := b.db.Get(&c, `
		SELECT id, status, languages, timezone, consent_at, consent_source, consent_ip, confirmed_at, confirmed_ip,
			coalesce((SELECT array_agg(kind || ':' || value ORDER BY kind, value) FROM subscriptions WHERE contact_id = c.id), '{}') AS subs,
			coalesce((SELECT reason FROM suppressions WHERE email = lower(c.email)), '') AS suppressed
		FROM contacts c WHERE lower(email) = lower($1)`, email)
	if err != nil {
		b.t.Fatalf("contact %s: %v", email, err)
	}
	return c
}

func TestSubscribeConfirmPreferencesUnsubscribe(t *testing.T) {
	b := setup(t)
	browser := b.browser()
	status, page, _ := b.fetch(browser, "GET", "/subscribe", nil, "Accept-Language", "fr-CH, fr;q=0.9, en;q=0.5")
	if status != 200 || !strings.Contains(page, `<html lang="fr" dir="ltr">`) || !strings.Contains(page, "Afrique occidentale") {
		t.Fatalf("subscribe page: %d\n%s", status, page)
	}
	csrf := csrfOf(t, page)

	// Without the CSRF token nothing happens.
	status, page, _ = b.fetch(b.browser(), "POST", "/subscribe?lang=fr", subscription("", "awa@example.org"))
	if status != http.StatusForbidden || !strings.Contains(page, "Ce formulaire a expiré") || len(b.mails()) != 0 {
		t.Fatalf("without CSRF: %d", status)
	}
	status, page, _ = b.fetch(browser, "POST", "/subscribe?lang=fr", subscription(csrf, "Awa@Example.org"))
	if status != 200 || !strings.Contains(page, "Consultez votre messagerie") || !strings.Contains(page, `<bdi dir="ltr">Awa@Example.org</bdi>`) {
		t.Fatalf("subscribe: %d\n%s", status, page)
	}
	b.settle()
	c := b.contact("awa@example.org")
	if c.Status != "pending" || c.ConsentAt == nil || c.ConsentSource != "subscribe form (fr)" || c.ConsentIP != "127.0.0.1" ||
		c.ConfirmedAt != nil || !slices.Equal(c.Subs, []string{"region:africa", "topic:migration-governance"}) ||
		!slices.Equal(c.Languages, []string{"fr", "en"}) || c.Timezone != "Africa/Dakar" {
		t.Fatalf("after subscribing: %+v", c)
	}
	mails := b.mails()
	if len(mails) != 1 || mails[0].ToEmail != "Awa@Example.org" || mails[0].ToName != "" || mails[0].FromEmail != "media@example.org" ||
		!strings.HasSuffix(mails[0].MessageID, "@example.org") {
		t.Fatalf("mails %+v", mails)
	}
	confirmURL := b.lastConfirmURL()
	if !strings.HasSuffix(confirmURL, "?lang=fr") {
		t.Errorf("confirmation link %s", confirmURL)
	}

	// A link scanner following the link confirms nothing.
	status, page, _ = b.fetch(&http.Client{}, "GET", confirmURL, nil)
	if status != 200 || !strings.Contains(page, "Confirmer mon abonnement") || b.contact("awa@example.org").Status != "pending" {
		t.Fatalf("confirm page: %d %s", status, b.contact("awa@example.org").Status)
	}
	if status, _, _ = b.fetch(&http.Client{}, "POST", confirmURL, url.Values{"csrf": {"forged"}}); status != http.StatusForbidden ||
		b.contact("awa@example.org").Status != "pending" {
		t.Fatalf("forged confirmation: %d", status)
	}
	_, page, _ = b.fetch(browser, "GET", confirmURL, nil)
	status, page, _ = b.fetch(browser, "POST", confirmURL, url.Values{"csrf": {csrfOf(t, page)}})
	c = b.contact("awa@example.org")
	if status != 200 || !strings.Contains(page, "Votre abonnement est confirmé") || c.Status != "active" ||
		c.ConfirmedAt == nil || c.ConfirmedIP != "127.0.0.1" || c.ConsentSource != "subscribe form (fr)" {
		t.Fatalf("confirm: %d %+v\n%s", status, c, page)
	}

	prefsURL := linkOf(t, page, "/preferences/")
	status, page, _ = b.fetch(browser, "GET", prefsURL, nil)
	if status != 200 || !strings.Contains(page, `name="region" value="africa" checked`) {
		t.Fatalf("preferences page: %d\n%s", status, page)
	}
	form := url.Values{"csrf": {csrfOf(t, page)}, "name": {"Awa Ndiaye"}, "country": {"SN", "MR"},
		"topic": {"climate-mobility"}, "lang1": {"ar"}, "lang2": {"fr"}, "lang3": {"ar"}, "timezone": {"Europe/Paris"}}
	status, _, resp := b.fetch(browser, "POST", prefsURL, form)
	if status != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?lang=fr&saved=1") {
		t.Fatalf("save preferences: %d %s", status, resp.Header.Get("Location"))
	}
	c = b.contact("awa@example.org")
	if !slices.Equal(c.Subs, []string{"country:MR", "country:SN", "topic:climate-mobility"}) ||
		!slices.Equal(c.Languages, []string{"ar", "fr"}) || c.Timezone != "Europe/Paris" || c.Status != "active" {
		t.Errorf("after saving preferences: %+v", c)
	}
	_, page, _ = b.fetch(browser, "GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(page, "Vos préférences sont enregistrées") {
		t.Errorf("no saved notice")
	}
	form.Del("country")
	form.Del("topic")
	if status, page, _ = b.fetch(browser, "POST", prefsURL, form); status != 422 || !strings.Contains(page, "Choisissez au moins une région") {
		t.Errorf("empty preferences: %d", status)
	}

	// Unsubscribing: the page only asks; the RFC 8058 POST, with no cookie
	// and no CSRF token, does it.
	unsubURL := fmt.Sprintf("/unsubscribe/%s", b.signer.Token("unsubscribe", c.ID, time.Time{}))
	status, page, _ = b.fetch(&http.Client{}, "GET", unsubURL, nil)
	if status != 200 || !strings.Contains(page, `<html lang="ar" dir="rtl">`) || b.contact("awa@example.org").Status != "active" ||
		strings.Contains(page, "/preferences/") {
		t.Fatalf("unsubscribe page: %d\n%s", status, page)
	}
	resp, err := http.Post(b.srv.URL+unsubURL, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}
	resp.Body.Close()
	if c = b.contact("awa@example.org"); c.Status != "unsubscribed" || c.Suppressed != "unsubscribed" {
		t.Fatalf("after unsubscribing: %+v", c)
	}
	// The old confirmation link does not subscribe again.
	_, page, _ = b.fetch(browser, "GET", confirmURL, nil)
	if !strings.Contains(page, "Ce lien n’est plus valable") || b.contact("awa@example.org").Status != "unsubscribed" {
		t.Errorf("old confirmation link after unsubscribing:\n%s", page)
	}
}

func TestResubscribingNeedsConfirmation(t *testing.T) {
	b := setup(t)
	browser := b.browser()
	_, page, _ := b.fetch(browser, "GET", "/subscribe?lang=es", nil)
	csrf := csrfOf(t, page)
	b.fetch(browser, "POST", "/subscribe?lang=es", subscription(csrf, "ana@example.org"))
	_, page, _ = b.fetch(browser, "GET", b.lastConfirmURL(), nil)
	b.fetch(browser, "POST", b.lastConfirmURL(), url.Values{"csrf": {csrfOf(t, page)}})
	id := b.contact("ana@example.org").ID
	resp, _ := http.Post(b.srv.URL+"/unsubscribe/"+b.signer.Token("unsubscribe", id, time.Time{}), "text/plain", nil)
	resp.Body.Close()

	status, page, _ := b.fetch(browser, "POST", "/subscribe?lang=es", subscription(csrf, "ANA@example.org", "topic", "climate-mobility"))
	b.settle()
	c := b.contact("ana@example.org")
	if status != 200 || !strings.Contains(page, "Revise su correo") || c.Status != "pending" || c.Suppressed != "unsubscribed" ||
		!slices.Contains(c.Subs, "topic:climate-mobility") || len(b.mails()) != 2 {
		t.Fatalf("subscribing again: %d %+v, %d mails", status, c, len(b.mails()))
	}
	_, page, _ = b.fetch(browser, "GET", b.lastConfirmURL(), nil)
	b.fetch(browser, "POST", b.lastConfirmURL(), url.Values{"csrf": {csrfOf(t, page)}})
	if c = b.contact("ana@example.org"); c.Status != "active" || c.Suppressed != "" {
		t.Errorf("confirmed again: %+v", c)
	}

	// Subscribing an active address changes nothing; its link leads to the
	// preferences.
	b.fetch(browser, "POST", "/subscribe?lang=es", subscription(csrf, "ana@example.org", "region", "europe"))
	b.settle()
	if c = b.contact("ana@example.org"); c.Status != "active" || slices.Contains(c.Subs, "region:europe") || len(b.mails()) != 3 {
		t.Errorf("subscribing an active address: %+v, %d mails", c, len(b.mails()))
	}
	_, page, _ = b.fetch(browser, "GET", b.lastConfirmURL(), nil)
	if !strings.Contains(page, "Ya está suscrito") || !strings.Contains(page, "/preferences/") {
		t.Errorf("confirmation link of an active address:\n%s", page)
	}
}

func TestSuppressedAddressesNeverBecomeActive(t *testing.T) {
	b := setup(t)
	browser := b.browser()
	_, page, _ := b.fetch(browser, "GET", "/subscribe", nil)
	csrf := csrfOf(t, page)
	b.api("POST", "/api/v1/suppressions", `{"email": "bounced@example.org", "reason": "bounced"}`, nil)
	b.api("POST", "/api/v1/contacts", `{"email": "mission@example.net", "kind": "mission", "country": "MR"}`, nil)

	for _, addr := range []string{"bounced@example.org", "mission@example.net"} {
		status, page, _ := b.fetch(browser, "POST", "/subscribe", subscription(csrf, addr))
		if status != 200 || !strings.Contains(page, "Check your inbox") || len(b.mails()) != 0 {
			t.Errorf("%s: %d, %d mails", addr, status, len(b.mails()))
		}
	}
	if n := 0; b.db.Get(&n, `SELECT count(*) FROM contacts WHERE email = 'bounced@example.org'`) != nil || n != 0 {
		t.Errorf("a contact was made for a bounced address")
	}
	if c := b.contact("mission@example.net"); c.Status != "active" || len(c.Subs) != 0 {
		t.Errorf("mission changed: %+v", c)
	}

	// An address that bounces while pending is not activated by its link.
	b.fetch(browser, "POST", "/subscribe", subscription(csrf, "later@example.org"))
	b.settle()
	b.db.MustExec(`INSERT INTO suppressions (email, reason) VALUES ('later@example.org', 'bounced')`)
	_, page, _ = b.fetch(browser, "GET", b.lastConfirmURL(), nil)
	_, page, _ = b.fetch(browser, "POST", b.lastConfirmURL(), url.Values{"csrf": {csrfOf(t, page)}})
	if c := b.contact("later@example.org"); c.Status != "pending" || !strings.Contains(page, "cannot be confirmed") {
		t.Errorf("bounced while pending: %+v\n%s", c, page)
	}
}

func TestInvalidLinks(t *testing.T) {
	b := setup(t)
	var c struct{ ID int64 }
	b.api("POST", "/api/v1/contacts", `{"email": "gone@example.org", "regions": ["europe"]}`, &c)
	expired := b.signer.Token("confirm", c.ID, time.Now().Add(-time.Minute))
	for _, path := range []string{
		"/confirm/garbage",
		"/confirm/" + expired,
		"/preferences/" + b.signer.Token("unsubscribe", c.ID, time.Time{}),
		"/unsubscribe/" + b.signer.Token("preferences", c.ID, time.Now().Add(time.Hour)),
		"/unsubscribe/" + b.signer.Token("unsubscribe", c.ID+1000, time.Time{}),
	} {
		status, page, _ := b.fetch(&http.Client{}, "GET", path, nil, "Accept-Language", "es")
		if status != http.StatusNotFound || !strings.Contains(page, "Este enlace no es válido") {
			t.Errorf("GET %s: %d", path, status)
		}
		status, _, _ = b.fetch(&http.Client{}, "POST", path, url.Values{})
		if status != http.StatusNotFound {
			t.Errorf("POST %s: %d", path, status)
		}
	}
}

func TestPublicPagesInEveryLanguage(t *testing.T) {
	b := setup(t)
	for key := range pageText["en"] {
		for lang, texts := range pageText {
			if texts[key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
			if strings.Count(texts[key], "%s") != strings.Count(pageText["en"][key], "%s") {
				t.Errorf("%s %q has a different number of %%s", lang, key)
			}
		}
	}
	for lang, texts := range pageText {
		if len(texts) != len(pageText["en"]) {
			t.Errorf("%s has %d texts, en %d", lang, len(texts), len(pageText["en"]))
		}
	}
	var c struct{ ID int64 }
	b.api("POST", "/api/v1/contacts", `{"email": "reader@example.org", "regions": ["europe"], "languages": ["pt-BR"], "timezone": "America/Sao_Paulo"}`, &c)
	for _, tc := range []struct{ lang, dir, region, country string }{
		{"en", "ltr", "Western Africa", "Mauritania"},
		{"fr", "ltr", "Afrique occidentale", "Mauritanie"},
		{"es", "ltr", "África occidental", "Mauritania"},
		{"ar", "rtl", "غرب أفريقيا", "موريتانيا"},
	} {
		for _, path := range []string{
			"/subscribe",
			"/confirm/" + b.signer.Token("confirm", c.ID, time.Now().Add(time.Hour)),
			"/preferences/" + b.signer.Token("preferences", c.ID, time.Now().Add(time.Hour)),
			"/unsubscribe/" + b.signer.Token("unsubscribe", c.ID, time.Time{}),
			"/confirm/invalid",
		} {
			_, page, resp := b.fetch(b.browser(), "GET", path+"?lang="+tc.lang, nil)
			if !strings.Contains(page, fmt.Sprintf(`<html lang="%s" dir="%s">`, tc.lang, tc.dir)) ||
				strings.Contains(page, "[missing text") || resp.Header.Get("Content-Language") != tc.lang {
				t.Errorf("%s in %s:\n%s", path, tc.lang, page)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: headers %v", path, resp.Header)
			}
		}
		_, page, _ := b.fetch(b.browser(), "GET", "/subscribe?lang="+tc.lang, nil)
		if !strings.Contains(page, tc.region) || !strings.Contains(page, tc.country) {
			t.Errorf("subscribe page in %s lacks %q or %q", tc.lang, tc.region, tc.country)
		}
	}
	// The page language: ?lang=, then the contact's languages, then the
	// browser's, then English.
	prefs := "/preferences/" + b.signer.Token("preferences", c.ID, time.Now().Add(time.Hour))
	for _, tc := range []struct{ path, accept, want string }{
		{"/subscribe", "es-MX,es;q=0.9", "es"},
		{"/subscribe", "de-DE", "en"},
		{"/subscribe?lang=ar", "fr", "ar"},
		{"/subscribe?lang=xx-!!", "fr", "fr"},
		{prefs, "ar", "ar"},
	} {
		_, page, _ := b.fetch(b.browser(), "GET", tc.path, nil, "Accept-Language", tc.accept)
		if !strings.Contains(page, `<html lang="`+tc.want+`"`) {
			t.Errorf("%s with %q: want %s", tc.path, tc.accept, tc.want)
		}
	}
	// A stored language outside the offered ones stays selected.
	_, page, _ := b.fetch(b.browser(), "GET", prefs, nil)
	if !strings.Contains(page, `<option value="pt-BR" lang="pt-BR" selected>`) ||
		!strings.Contains(page, `<option value="America/Sao_Paulo" selected>`) {
		t.Errorf("preferences do not show the stored language and zone")
	}
}
