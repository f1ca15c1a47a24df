package office

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/headless"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// axeFile is axe-core as vendored from npm, with its licence.
const axeFile = "testdata/axe-core/axe.min.js"

func TestAxeIsPinned(t *testing.T) {
	headless.AxeScript(t, axeFile)
}

// Each main page of the press office, as an administrator sees it (every
// form and action shown), passes axe-core with no serious or critical
// violation, in English and, for some, in Arabic.
func TestBrowserMainPagesPassAxe(t *testing.T) {
	exe := headless.Chromium(t)
	script := headless.AxeScript(t, axeFile)
	b := setup(t)
	b.importContacts()
	b.user("admin@example.org", users.Admin, pw)
	published, dispatch := b.publishedRelease("checked")
	b.received(dispatch)
	draft, err := (&releases.Lifecycle{DB: b.db}).Create(context.Background(), &releases.Draft{Release: releases.Release{Slug: "a-draft",
		OriginalLanguage: "fr", Translations: map[string]releases.Translation{"fr": {Title: "Brouillon", Body: "| a | b |\n|---|---|\n| 1 | 2 |\n"}, "en": {Title: "Draft"}},
		Countries: []string{"MR"}, PressContacts: []string{"press@example.org"}}}, "user:admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	contact := b.contactID("awa@example.com")
	b.db.MustExec(`INSERT INTO suppressions (email, reason, detail) VALUES ('gone@example.net', 'bounced', '550 5.1.1 no such user')`)
	// Every page shows the branding's logo, footer and address.
	if _, err := branding.Save(context.Background(), b.db, branding.Update{Name: "International Mobility Agency",
		Address: "17 route des Morillons\nCH-1211 Geneva 19", Footer: "Press office: weekdays.", Logo: testPNG(t, 200, 50)}, "test"); err != nil {
		t.Fatal(err)
	}

	d := newDriver(t, exe, 3*time.Minute)
	d.do(chromedp.EmulateViewport(1280, 900))

	run := func(name string) []headless.Violation {
		t.Helper()
		found, err := headless.Axe(d.ctx, script)
		if err != nil {
			t.Fatalf("%s: axe: %v", name, err)
		}
		return found
	}
	check := func(name, path string) {
		t.Helper()
		d.do(chromedp.Navigate(b.url+path), chromedp.WaitReady(chromedp.CSS("main")))
		if strings.HasSuffix(path, "lang=ar") {
			d.checkPage("ar", "rtl", strings.ReplaceAll(name, " ", "-"))
		} else {
			d.checkPage("en", "ltr", strings.ReplaceAll(name, " ", "-"))
		}
		for _, v := range run(name) {
			t.Errorf("%s (%s): %s %s: %s on %s", name, path, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
		}
	}

	check("sign-in", "/office/signin")
	d.do(chromedp.SendKeys(chromedp.ID("email"), "admin@example.org"), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("home")))
	pages := []struct{ name, path string }{
		{"home", "/office/"},
		{"profile", "/office/profile"},
		{"releases", "/office/releases"},
		{"editor", "/office/releases/new"},
		{"draft", fmt.Sprintf("/office/releases/%d", draft)},
		{"preview", fmt.Sprintf("/office/releases/%d/preview", draft)},
		{"published", fmt.Sprintf("/office/releases/%d", published)},
		{"correct", fmt.Sprintf("/office/releases/%d/correct", published)},
		{"report", fmt.Sprintf("/office/releases/%d/report", published)},
		{"contacts", "/office/contacts"},
		{"contacts with errors", "/office/contacts?kind=alien&country=ZZ"},
		{"missions", "/office/missions"},
		{"contact", fmt.Sprintf("/office/contacts/%d", contact)},
		{"import", "/office/contacts/import"},
		{"suppressions", "/office/suppressions"},
		{"users", "/office/admin/users"},
		{"tokens", "/office/admin/tokens"},
		{"topics and regions", "/office/admin/taxonomy"},
		{"audit", "/office/admin/audit"},
		{"branding", "/office/admin/branding"},
		{"templates", "/office/admin/templates"},
		{"template editor", fmt.Sprintf("/office/admin/templates/public/fr?release=%d", published)},
	}
	for _, p := range pages {
		check(p.name, p.path)
	}
	for _, p := range []string{fmt.Sprintf("/office/releases/%d/report", published), "/office/contacts", "/office/admin/users", "/office/admin/branding"} {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		check("arabic "+strings.Trim(strings.ReplaceAll(p, "/", "-"), "-"), p+sep+"lang=ar")
	}

	// The check sees a violation when there is one: a field without a label.
	if _, err := chromedp.Run(d.ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text" id="unlabelled">')`)); err != nil {
		t.Fatal(err)
	}
	planted := run("planted")
	if len(planted) == 0 || planted[0].ID != "label" || !strings.Contains(strings.Join(planted[0].Nodes, " "), "#unlabelled") {
		t.Errorf("axe missed an unlabelled field: %+v", planted)
	}
}
