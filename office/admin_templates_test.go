package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

func TestTemplatesEditedByAnAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	id, _ := b.publishedRelease("office-opens")
	if _, err := branding.Save(context.Background(), b.db, branding.Update{Name: "International Mobility Agency"}, "test"); err != nil {
		t.Fatal(err)
	}
	b.user("admin@example.org", users.Admin, pw)
	br := b.browser()
	br.signIn("admin@example.org", pw)
	wantStatus(t, "the list", br.get("/office/admin/templates"), http.StatusOK, `id="template-list"`,
		`id="tpl-public-fr"`, `id="tpl-confirmation-ar"`, "Subscription confirmation")

	path := "/office/admin/templates/public/fr"
	wantStatus(t, "the built-in", br.get(path), http.StatusOK, `id="template-form"`, "This is the built-in template",
		`id="tpl-layout"`, `{{template &#34;layout&#34; . -}}`, `id="preview-form"`)

	// A template that does not compile is shown with its problem next to
	// the part, with the line; nothing is saved.
	bad := url.Values{"tpl_subject": {"{{.Title}}"}, "tpl_text": {"{{.Title}}"}, "tpl_html": {"<p>{{.Title}}</p>\r\n<p>{{.Nope}}</p>"}}
	res := br.post(path, bad)
	wantStatus(t, "a bad template", res, http.StatusUnprocessableEntity, `id="tpl_html-error"`, "html: line 2", `href="#tpl_html"`,
		"&lt;p&gt;{{.Nope}}&lt;/p&gt;</textarea>")
	if strings.Contains(res.body, `id="tpl_text-error"`) || strings.Contains(res.body, `id="tpl_subject-error"`) {
		t.Error("the problem is shown next to a part that has none")
	}
	wantStatus(t, "an empty subject", br.post(path, url.Values{"tpl_subject": {" "}, "tpl_text": {"x"}, "tpl_html": {"<p>x</p>"}}),
		http.StatusUnprocessableEntity, `id="tpl_subject-error"`, "subject: required")
	if n := count(t, b.db, `SELECT count(*) FROM template_overrides`); n != 0 {
		t.Fatalf("%d overrides after refused forms", n)
	}

	good := url.Values{"tpl_subject": {"COMMUNIQUÉ : {{.Title}}"}, "tpl_text": {"{{template \"layout\" .}}"},
		"tpl_html": {"{{define \"content\"}}<p class=\"mine\">{{.Title}}</p>{{end}}{{template \"layout\" .}}"}}
	// A draft is previewed against a release as if saved, and not saved.
	draft := url.Values{"action": {"preview"}, "release": {fmt.Sprint(id)}}
	for k, v := range good {
		draft[k] = v
	}
	wantStatus(t, "a draft's preview", br.post(path, draft), http.StatusOK, `id="preview-subject">COMMUNIQUÉ : Titre</strong>`,
		`srcdoc="`, `&lt;p class=&#34;mine&#34;&gt;Titre&lt;/p&gt;`, "nothing is saved yet", "This is the built-in template")
	draft.Set("tpl_html", "{{.Nope}}")
	wantStatus(t, "a bad draft's preview", br.post(path, draft), http.StatusUnprocessableEntity, `id="tpl_html-error"`)
	if n := count(t, b.db, `SELECT count(*) FROM template_overrides`); n != 0 {
		t.Fatalf("%d overrides after previews", n)
	}

	wantStatus(t, "saving", br.post(path, good), http.StatusSeeOther)
	wantStatus(t, "the override", br.get(path), http.StatusOK, "The template is saved", "This is your own template",
		`id="do-delete-template"`)
	wantStatus(t, "the list after", br.get("/office/admin/templates"), http.StatusOK, `id="tpl-public-fr" aria-label="Public release, Français: Your own"`)

	// The preview shows the release as its readers get it, with the
	// branding, the HTML part in a sandboxed frame.
	page := br.get(fmt.Sprintf("%s?release=%d", path, id))
	frame := fmt.Sprintf("%s/frame?release=%d", path, id)
	wantStatus(t, "the preview", page, http.StatusOK, `id="preview-subject">COMMUNIQUÉ : Titre</strong>`, `src="`+frame+`" sandbox=""`,
		"International Mobility Agency")
	res = br.get(frame)
	wantStatus(t, "the frame", res, http.StatusOK, `<p class="mine">Titre</p>`, "International Mobility Agency")
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the frame's policy is %q", csp)
	}
	wantStatus(t, "a release in another language", br.get(fmt.Sprintf("/office/admin/templates/public/es?release=%d", id)), http.StatusOK,
		`id="preview-note"`)
	wantStatus(t, "the confirmation", br.get("/office/admin/templates/confirmation/en"), http.StatusOK, `id="preview-subject"`,
		`src="/office/admin/templates/confirmation/en/frame"`)
	wantStatus(t, "a bad release", br.get(path+"?release=x"), http.StatusOK, `id="preview_release-error"`)
	wantStatus(t, "an unknown message", br.get("/office/admin/templates/nope/en"), http.StatusNotFound)

	wantStatus(t, "deleting", br.post(path+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, "after deleting", br.get(path), http.StatusOK, "The template is removed", "This is the built-in template")
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE action IN ('template.save', 'template.delete') AND actor = 'user:admin@example.org'`); n != 2 {
		t.Errorf("%d audit entries, want 2", n)
	}
	wantStatus(t, "deleting again", br.post(path+"/delete", nil), http.StatusNotFound)
}

// The template pages are refused to every other role, and a form
// without this session's token saves nothing.
func TestTemplatesRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	form := url.Values{"tpl_subject": {"{{.Title}}"}, "tpl_text": {"{{.Title}}"}, "tpl_html": {"<p>{{.Title}}</p>"}}
	for _, role := range []users.Role{users.Editor, users.PressOfficer, users.Viewer} {
		email := string(role) + "@example.org"
		b.user(email, role, pw)
		br := b.browser()
		br.signIn(email, pw)
		for _, path := range []string{"/office/admin/templates", "/office/admin/templates/public/en", "/office/admin/templates/public/en/frame?release=1"} {
			wantStatus(t, string(role)+" "+path, br.get(path), http.StatusForbidden, "This needs the Administrator role")
		}
		wantStatus(t, string(role)+" save", br.post("/office/admin/templates/public/en", form), http.StatusForbidden)
		wantStatus(t, string(role)+" delete", br.post("/office/admin/templates/public/en/delete", nil), http.StatusForbidden)
	}
	b.user("admin@example.org", users.Admin, pw)
	admin := b.browser()
	admin.signIn("admin@example.org", pw)
	admin.get("/office/admin/templates/public/en")
	f := url.Values{"csrf": {"forged"}}
	for k, v := range form {
		f[k] = v
	}
	wantStatus(t, "a forged token", admin.postRaw("/office/admin/templates/public/en", f), http.StatusForbidden)
	if _, err := templates.GetTemplate(context.Background(), b.db, "public", "en"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b.db, `SELECT count(*) FROM template_overrides`); n != 0 {
		t.Errorf("%d overrides after refused requests", n)
	}
}
