package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// releaseContacts are a press officer, two missions and journalists of
// several languages, one of them verified.
const releaseContacts = "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n" +
	"press@example.org,Nora Belkacem,press_officer,Media Office,CH,fr,Europe/Zurich,true,,,,,\n" +
	"mission.mr@example.org,Mission of Mauritania,mission,Mission,MR,fr,Africa/Nouakchott,true,,,,,\n" +
	"mission.sn@example.org,Mission of Senegal,mission,Mission,SN,fr,Africa/Dakar,true,,,,,\n" +
	"awa@example.com,Awa Diop,journalist,Sahel Daily,SN,fr,Africa/Dakar,true,,MR,,,\n" +
	"john@example.com,John Smith,journalist,Global Wire,GB,en,Europe/London,false,,MR,,,\n" +
	"pierre@example.com,Pierre Martin,journalist,Le Courrier,FR,fr,Europe/Paris,false,,MR,,,\n"

func (b *bundle) importContacts() {
	b.t.Helper()
	if _, err := contacts.Import(context.Background(), b.db, strings.NewReader(releaseContacts), contacts.ImportOptions{}); err != nil {
		b.t.Fatal(err)
	}
}

// releaseForm is the editor's form for a bilingual release whose French
// original holds a Markdown table.
func releaseForm(slug string, embargo time.Time) url.Values {
	return url.Values{
		"op": {"save"}, "slug": {slug}, "original_language": {"fr"}, "lang": {"fr", "en"},
		"translations.fr.title":    {"Accord pour un bureau en Mauritanie"},
		"translations.fr.summary":  {"Un accord signé à Genève."},
		"translations.fr.dateline": {"Genève"},
		"translations.fr.body":     {"Le bureau ouvre en 2027.\r\n\r\n| Année | Budget |\r\n|---|---|\r\n| 2027 | 1 200 000 |\r\n"},
		"translations.en.title":    {"Agreement for an office in Mauritania"},
		"translations.en.body":     {"The office opens in 2027."},
		"press_contacts":           {"press@example.org"},
		"countries":                {"MR"},
		"embargo_until":            {embargo.UTC().Format(localLayout)},
		"embargo_missions":         {"concerned"},
		"embargo_verified":         {"on"},
	}
}

func TestReleaseWrittenClearedAndPublished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(c *Config) { c.ClearanceRequired = true })
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("ed@example.org", users.Editor, pw)
	po := b.browser()
	po.signIn("po@example.org", pw)

	wantStatus(t, "the list", po.get("/office/releases"), http.StatusOK, "Write a release", `id="releases-link"`)
	wantStatus(t, "the editor", po.get("/office/releases/new"), http.StatusOK, `id="editor"`)

	// Everything wrong at once, each problem next to its field, nothing stored.
	bad := url.Values{"op": {"save"}, "slug": {"Not a slug"}, "original_language": {"fr"}, "lang": {"fr", "en"},
		"translations.fr.title": {""}, "translations.en.title": {" "}, "embargo_until": {"tomorrow"}, "embargo_missions": {"none"}}
	res := po.post("/office/releases/new", bad)
	wantStatus(t, "a bad release", res, http.StatusUnprocessableEntity,
		`id="slug-error"`, `id="translations.fr.title-error"`, `id="translations.en.title-error"`,
		`id="press_contacts-error"`, `id="audience-error"`, `id="embargo_until-error"`, "Enter a date and time.")
	if n := count(t, b.db, `SELECT count(*) FROM releases`); n != 0 {
		t.Fatalf("%d releases stored from a bad form", n)
	}
	// The form keeps what was typed.
	if !strings.Contains(res.body, `value="Not a slug"`) {
		t.Error("the slug typed is lost")
	}

	embargo := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Minute)
	res = po.post("/office/releases/new", releaseForm("mauritania-office", embargo))
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/office/releases/") {
		t.Fatalf("save: %d %s\n%s", res.status, res.location, res.body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(res.location, "/office/releases/"), 10, 64)
	rel, err := releases.Get(ctx, b.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if rel.OriginalLanguage != "fr" || len(rel.Translations) != 2 || !strings.Contains(rel.Translations["fr"].Body, "| 2027 | 1 200 000 |") ||
		rel.EmbargoUntil == nil || !rel.EmbargoUntil.Equal(embargo) || rel.EmbargoAudience.Missions != "concerned" {
		t.Fatalf("stored: %+v", rel)
	}
	page := po.get(res.location)
	wantStatus(t, "the release page", page, http.StatusOK, "The draft is saved.", "It must be cleared first.", "Accord pour un bureau en Mauritanie")
	// Uncleared, publishing is refused whatever the page shows.
	wantStatus(t, "publish uncleared", po.post(fmt.Sprintf("/office/releases/%d/publish", id), url.Values{"confirm": {"on"}}),
		http.StatusConflict, "not cleared")
	wantStatus(t, "submit", po.post(fmt.Sprintf("/office/releases/%d/submit", id), nil), http.StatusSeeOther)
	// The author's own role cannot clear.
	wantStatus(t, "clear by a press officer", po.post(fmt.Sprintf("/office/releases/%d/clear", id), nil), http.StatusForbidden, "This needs the Editor role")

	ed := b.browser()
	ed.signIn("ed@example.org", pw)
	page = ed.get(fmt.Sprintf("/office/releases/%d", id))
	wantStatus(t, "the page an editor sees", page, http.StatusOK, "Submitted for clearance", `id="do-clear"`)
	wantStatus(t, "clear", ed.post(fmt.Sprintf("/office/releases/%d/clear", id), url.Values{"comment": {"Good to go."}}), http.StatusSeeOther)

	// The publish dialog's sentence has the audience the database counts.
	a, err := releases.GetAudience(ctx, b.db, id, templates.MatchLanguage, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a.Embargo == nil {
		t.Fatal("no embargo audience")
	}
	page = po.get(fmt.Sprintf("/office/releases/%d", id))
	want := fmt.Sprintf("The embargoed notice goes now to %d mission and %d verified journalist; the release goes to %d journalists at %s.",
		a.Embargo.ByKind["mission"], a.Embargo.ByKind["journalist"], a.ByKind["journalist"], embargo.Format("2006-01-02 15:04")+" UTC")
	wantStatus(t, "the cleared page", page, http.StatusOK, want, "Good to go.", "user:ed@example.org")
	if a.Embargo.ByKind["mission"] != 1 || a.Embargo.ByKind["journalist"] != 1 || a.ByKind["journalist"] != 3 {
		t.Errorf("audience %+v, embargo %+v", a.AudienceCount, a.Embargo)
	}

	// Publishing needs the box ticked.
	wantStatus(t, "publish unconfirmed", po.post(fmt.Sprintf("/office/releases/%d/publish", id), nil),
		http.StatusUnprocessableEntity, `id="confirm-error"`)
	wantStatus(t, "publish", po.post(fmt.Sprintf("/office/releases/%d/publish", id), url.Values{"confirm": {"on"}}), http.StatusSeeOther)
	if rel, _ := releases.Get(ctx, b.db, id); rel.Status != releases.StatusEmbargoed {
		t.Fatalf("after publishing: %s", rel.Status)
	}
	// Every step is in the audit log with the user who took it.
	for action, who := range map[string]string{"create": "user:po@example.org", "submit": "user:po@example.org",
		"clear": "user:ed@example.org", "publish": "user:po@example.org"} {
		if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action = $2 AND actor = $3`, id, action, who); n != 1 {
			t.Errorf("audit of %s by %s: %d entries", action, who, n)
		}
	}
	page = ed.get(fmt.Sprintf("/office/releases/%d", id))
	wantStatus(t, "the embargoed page", page, http.StatusOK, `id="do-lift"`, `id="do-recall"`, `id="countdown"`)
	list := po.get("/office/releases?status=embargoed")
	wantStatus(t, "the embargoed list", list, http.StatusOK, "mauritania-office", embargo.Format("2006-01-02 15:04"))
	wantStatus(t, "the draft list", po.get("/office/releases?status=draft"), http.StatusOK, "No release matches.")
	// A page that is not one is said so on the list, from its start.
	for _, after := range []string{"-1", "x"} {
		wantStatus(t, "a bad page "+after, po.get("/office/releases?after="+after), http.StatusBadRequest,
			`id="release-list"`, `<a href="#after">Page</a>: This is not one of the choices offered.`, "mauritania-office")
	}
}

// Each action refuses a role below the one it needs, with 403 naming it
// in the page's language, and changes nothing.
func TestReleaseActionsRefusedToLowerRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.importContacts()
	b.user("viewer@example.org", users.Viewer, pw)
	b.user("po@example.org", users.PressOfficer, pw)
	lc := &releases.Lifecycle{DB: b.db}
	d := &releases.Draft{Release: releases.Release{Slug: "refused", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{"fr": {Title: "Titre"}}, Countries: []string{"MR"}, PressContacts: []string{"press@example.org"}}}
	id, err := lc.Create(ctx, d, "user:someone@example.org")
	if err != nil {
		t.Fatal(err)
	}
	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	wantStatus(t, "a viewer reads the list", viewer.get("/office/releases"), http.StatusOK, "refused")
	wantStatus(t, "a viewer reads the release", viewer.get(fmt.Sprintf("/office/releases/%d", id)), http.StatusOK, "Needs the Press officer role.")
	wantStatus(t, "a viewer opens the editor", viewer.get("/office/releases/new"), http.StatusForbidden, "This needs the Press officer role; you are Viewer.")
	wantStatus(t, "a viewer edits", viewer.get(fmt.Sprintf("/office/releases/%d/edit", id)), http.StatusForbidden)
	wantStatus(t, "a viewer saves", viewer.post("/office/releases/new", releaseForm("viewer-release", time.Now().Add(time.Hour))), http.StatusForbidden)
	po := b.browser()
	po.signIn("po@example.org", pw)
	for action, right := range actionRights {
		path := fmt.Sprintf("/office/releases/%d/%s", id, action)
		form := url.Values{"confirm": {"on"}, "comment": {"x"}}
		wantStatus(t, "viewer "+action, viewer.post(path, form), http.StatusForbidden, "This needs the")
		if right == users.ClearReleases {
			wantStatus(t, "press officer "+action, po.post(path, form), http.StatusForbidden, "This needs the Editor role")
		}
	}
	viewer.get("/office/releases?lang=fr")
	wantStatus(t, "refused in French", viewer.post(fmt.Sprintf("/office/releases/%d/publish", id), url.Values{"confirm": {"on"}}),
		http.StatusForbidden, "Il faut le rôle Chargé de presse")
	rel, err := releases.Get(ctx, b.db, id)
	if err != nil || rel.Status != releases.StatusDraft || rel.Clearance.State != releases.ClearanceNone {
		t.Fatalf("after refusals: %+v %v", rel, err)
	}
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action <> 'create'`, id); n != 0 {
		t.Errorf("%d audit entries after refusals", n)
	}
}

// Editing a cleared draft says it will need clearing again, and it does.
func TestEditingAClearedDraftUnclearsIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, func(c *Config) { c.ClearanceRequired = true })
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	lc := &releases.Lifecycle{DB: b.db}
	d := &releases.Draft{Release: releases.Release{Slug: "cleared", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{"fr": {Title: "Titre"}}, Countries: []string{"MR"}, PressContacts: []string{"press@example.org"}}}
	id, err := lc.Create(ctx, d, "user:po@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.Submit(ctx, id, "user:po@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := lc.Clear(ctx, id, "user:ed@example.org", ""); err != nil {
		t.Fatal(err)
	}
	po := b.browser()
	po.signIn("po@example.org", pw)
	res := po.get(fmt.Sprintf("/office/releases/%d/edit", id))
	wantStatus(t, "the editor of a cleared draft", res, http.StatusOK, "saving a change means it must be cleared again", `value="Titre"`)
	form := releaseForm("cleared", time.Now().Add(time.Hour))
	res = po.post(fmt.Sprintf("/office/releases/%d/edit", id), form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.status, res.body)
	}
	wantStatus(t, "after the edit", po.get(res.location), http.StatusOK, "It must be submitted and cleared again.")
	if rel, _ := releases.Get(ctx, b.db, id); rel.Clearance.State != releases.ClearanceNone || len(rel.Translations) != 2 {
		t.Errorf("after the edit: %+v", rel.Clearance)
	}
}
