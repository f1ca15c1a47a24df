package office

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/communique/communique/headless"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// A press officer writes a release in English and French, formats its
// body with the buttons and sees the preview follow; ticks a region, a
// country and a topic and sees the panel count what the database counts;
// comes back to the draft, types, and finds the change autosaved after a
// reload. The page warns before leaving with changes not saved, and
// passes axe-core with its preview and panel shown.
func TestBrowserEditorLive(t *testing.T) {
	exe := headless.Chromium(t)
	script := headless.AxeScript(t, axeFile)
	b := setup(t)
	b.taxonomy()
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.db.MustExec(`INSERT INTO contacts (email, name, kind, country, languages)
		SELECT 'j' || i || '@example.net', 'Journalist ' || i, 'journalist', 'FR', ARRAY[(ARRAY['fr', 'en', 'es'])[1 + i % 3]]
		FROM generate_series(1, 90) i`)
	b.db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, (ARRAY['region', 'region', 'topic', 'country', 'region'])[1 + id % 5],
			(ARRAY['africa', 'europe', 'migration', 'SN', 'northern-africa'])[1 + id % 5]
		FROM contacts WHERE email LIKE 'j%@example.net'`)

	d := newDriver(t, exe, 2*time.Minute)
	d.do(chromedp.EmulateViewport(1280, 900))
	name := func(n string) chromedp.CSS { return chromedp.CSS(`[name="` + n + `"]`) }
	eval := func(script string) string {
		t.Helper()
		s, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](script))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// until waits for script to give want, the machine being slow at times.
	until := func(what, script, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		got := eval(script)
		for !strings.Contains(got, want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q, want %q", what, got, want)
			}
			time.Sleep(100 * time.Millisecond)
			got = eval(script)
		}
	}

	d.do(chromedp.Navigate(b.url+"/office/signin"), chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("email"), "po@example.org"), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("home")))
	d.do(chromedp.Navigate(b.url+"/office/releases/new"), chromedp.WaitVisible(chromedp.ID("editor")),
		chromedp.SendKeys(chromedp.ID("add_language"), "fr"), chromedp.Click(chromedp.ID("add-language")),
		chromedp.WaitVisible(chromedp.ID("tr-fr")))
	// The buttons show only with the script that makes them work.
	until("the toolbar", `String(document.querySelector(".md-toolbar[data-for='translations.fr.body']").hidden)`, "false")
	// A page holding what was typed but not saved is guarded at once.
	if eval(`document.getElementById("editor").dataset.dirty`) != "true" {
		t.Error("a form shown again with a new language is not marked unsaved")
	}
	d.do(chromedp.SendKeys(chromedp.ID("slug"), "accord-live"),
		chromedp.Click(chromedp.CSS(`input[name=original_language][value=fr]`)),
		chromedp.SendKeys(name("translations.en.title"), "Agreement"),
		chromedp.SendKeys(name("translations.fr.title"), "Accord"),
		chromedp.SendKeys(name("translations.fr.body"), "Le bureau ouvre en "),
		// What a button inserts is selected, to be typed over.
		chromedp.Click(chromedp.ID("md-bold-fr")),
		chromedp.SendKeys(name("translations.fr.body"), "2027"),
		chromedp.KeyEvent(kb.End),
		chromedp.Click(chromedp.ID("md-table-fr")),
		chromedp.SendKeys(name("translations.fr.body"), "12"),
		chromedp.Click(chromedp.CSS(`input[name=press_contacts][value="press@example.org"]`)))
	body := eval(`document.getElementById("translations.fr.body").value`)
	if !strings.HasPrefix(body, "Le bureau ouvre en **2027**\n\n| Column 1 | Column 2 |\n|---|---|\n| 12 |") {
		t.Errorf("the buttons wrote %q", body)
	}
	until("the preview", `document.getElementById("preview-fr").innerHTML`, "<table")
	until("the preview's table", `document.querySelector("#preview-fr td") ? document.querySelector("#preview-fr td").textContent : ""`, "12")
	d.contains("#preview-fr strong", "2027")

	// Nobody yet, in red and in words.
	d.contains("#panel-nobody", "Nobody would receive this release")
	for _, sel := range []string{`input[name=regions][value=western-africa]`, `input[name=countries][value=MR]`, `input[name=topics][value=migration]`} {
		// A country's group may be closed: click it as a keyboard would.
		eval(`document.querySelector('` + sel + `').click(), ""`)
	}
	// Who follows Western Africa, a region holding it, Mauritania or the
	// topic, active and not suppressed; each reads French unless English.
	reach := `FROM contacts WHERE status = 'active' AND id IN (SELECT contact_id FROM subscriptions
		WHERE (kind = 'region' AND value IN ('western-africa', 'sub-saharan-africa', 'africa'))
		   OR (kind = 'country' AND value = 'MR') OR (kind = 'topic' AND value = 'migration'))`
	total := count(t, b.db, `SELECT count(*) `+reach)
	if total < 30 {
		t.Fatalf("the test's audience is only %d", total)
	}
	until("the panel's total", `(document.getElementById("panel-total") || {dataset: {}}).dataset.n || ""`, strconv.Itoa(total))
	for id, q := range map[string]string{
		"panel-kind-journalist": `SELECT count(*) ` + reach + ` AND kind = 'journalist'`,
		"panel-lang-en":         `SELECT count(*) ` + reach + ` AND languages = '{en}'`,
		"panel-lang-fr":         `SELECT count(*) ` + reach + ` AND languages <> '{en}'`,
	} {
		if got, want := eval(`document.getElementById("`+id+`").dataset.n`), strconv.Itoa(count(t, b.db, q)); got != want {
			t.Errorf("%s: the panel says %s, the database %s", id, got, want)
		}
	}
	if eval(`document.getElementById("panel-nobody") ? "shown" : ""`) != "" {
		t.Error("the panel still says nobody")
	}
	d.contains("#panel-sample", "Awa Diop")

	// Saved with the button, the draft then autosaves.
	d.do(chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("submit-form")))
	id, err := strconv.ParseInt(strings.TrimPrefix(d.location(), b.url+"/office/releases/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("%s/office/releases/%d/edit", b.url, id)
	d.do(chromedp.Navigate(edit), chromedp.WaitVisible(chromedp.ID("editor")))
	until("the script", `String(document.querySelector(".md-toolbar").hidden)`, "false")
	d.contains("#autosave-status", "saved automatically")
	d.do(chromedp.SendKeys(name("translations.en.body"), "Typed, then left alone."))
	if eval(`document.getElementById("editor").dataset.dirty`) != "true" {
		t.Error("a change does not mark the form unsaved")
	}
	guarded := eval(`(() => { const e = new Event("beforeunload", {cancelable: true}); window.dispatchEvent(e); return String(e.defaultPrevented); })()`)
	if guarded != "true" {
		t.Error("leaving with changes not saved is not guarded")
	}
	until("autosave", `document.getElementById("autosave-status").textContent`, "Saved at ")
	until("the guard after autosave", `document.getElementById("editor").dataset.dirty`, "false")
	rel, err := releases.Get(context.Background(), b.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Status != releases.StatusDraft || rel.Translations["en"].Body != "Typed, then left alone." {
		t.Errorf("autosaved: %s %q", rel.Status, rel.Translations["en"].Body)
	}
	d.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("editor")))
	until("the script after a reload", `String(document.querySelector(".md-toolbar").hidden)`, "false")
	if got := eval(`document.getElementById("translations.en.body").value`); got != "Typed, then left alone." {
		t.Errorf("after a reload the text is %q", got)
	}
	if eval(`document.getElementById("editor").dataset.dirty`) != "false" {
		t.Error("a page just loaded is marked unsaved")
	}

	// The editor, preview and panel shown, passes axe-core.
	d.do(chromedp.WaitVisible(chromedp.CSS("#preview-fr table")), chromedp.WaitVisible(chromedp.ID("panel-total")))
	d.checkPage("en", "ltr", "editor-live")
	found, err := headless.Axe(d.ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range found {
		t.Errorf("editor: %s %s: %s on %s", v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
	}
	// Side by side on a wide screen.
	if eval(`String(document.getElementById("preview-fr").getBoundingClientRect().top < document.getElementById("translations.fr.body").getBoundingClientRect().bottom)`) != "true" {
		t.Error("the preview is not beside the text on a wide screen")
	}
	// Below it on a phone, and nothing wider than the screen.
	d.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if eval(`String(document.getElementById("preview-fr").getBoundingClientRect().top >= document.getElementById("translations.fr.body").getBoundingClientRect().bottom)`) != "true" {
		t.Error("the preview is not below the text on a phone")
	}
	if eval(`String(document.documentElement.scrollWidth > window.innerWidth)`) != "false" {
		t.Error("the editor is wider than a phone")
	}
}
