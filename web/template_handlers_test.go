package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/logtest"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/web"
)

type bundle struct {
	db   *sqlx.DB
	srv  *httptest.Server
	logs *logtest.Buffer
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := pgtest.DB(t)
	logs := &logtest.Buffer{}
	h := &web.Handler{DB: db, Logger: slog.New(slog.NewTextHandler(logs, nil)), AdminToken: "t", BaseURL: "https://news.example.org"}
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(srv.Close)
	return &bundle{db: db, srv: srv, logs: logs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (b *bundle) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		j, _ := json.Marshal(v)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, b.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer t")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, out}
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
}

type errorBody struct {
	Error   string   `json:"error"`
	Details []string `json:"details"`
}

func TestTemplateOverrides(t *testing.T) {
	t.Parallel()
	b := setup(t)

	var list struct {
		Messages  []string                 `json:"messages"`
		Templates []templates.TemplateInfo `json:"templates"`
	}
	b.do(t, "GET", "/api/v1/templates", nil).json(t, &list)
	if len(list.Templates) != len(templates.Messages())*4 || list.Templates[0].Origin != "builtin" {
		t.Fatalf("list: %+v", list)
	}

	var tmpl templates.Template
	res := b.do(t, "GET", "/api/v1/templates/embargoed/FR", nil)
	res.json(t, &tmpl)
	if res.status != 200 || tmpl.Origin != "builtin" || tmpl.Language != "fr" || !strings.Contains(tmpl.Subject, ".Embargo") || tmpl.Layout == nil {
		t.Fatalf("built-in: %d %+v", res.status, tmpl)
	}

	// A broken override is refused with the part, line and reason.
	broken := templates.Source{Subject: "{{.Embargo}} {{.Title}}", Text: "ok\n{{range 100000000}}x{{end}}", HTML: "<p>{{.Titel}}</p>"}
	res = b.do(t, "PUT", "/api/v1/templates/embargoed/fr", broken)
	var eb errorBody
	res.json(t, &eb)
	if res.status != 422 || strings.Join(eb.Details, "|") != "text: line 2: range may only go over a field, such as .Contacts" {
		t.Errorf("broken text: %d %+v", res.status, eb)
	}
	broken.Text = "ok"
	res = b.do(t, "PUT", "/api/v1/templates/embargoed/fr", broken)
	res.json(t, &eb)
	if res.status != 422 || len(eb.Details) != 1 || !strings.HasPrefix(eb.Details[0], "html: line 1: ") || !strings.Contains(eb.Details[0], "can't evaluate field Titel") {
		t.Errorf("broken html: %d %+v", res.status, eb)
	}

	good := templates.Source{
		Subject: "{{.Embargo}} | {{.Title}}",
		Text:    `{{define "banner"}}>>> {{.Embargo}}` + "\n\n" + `{{end}}{{template "layout" .}}`,
		HTML:    `{{define "banner"}}<tr><td><b>{{.Embargo}}</b></td></tr>{{end}}{{template "layout" .}}`,
	}
	if res = b.do(t, "PUT", "/api/v1/templates/embargoed/fr", good); res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	res = b.do(t, "PUT", "/api/v1/templates/embargoed/fr", good)
	res.json(t, &tmpl)
	if res.status != 200 || tmpl.Origin != "override" || tmpl.Subject != good.Subject || tmpl.UpdatedAt == nil {
		t.Fatalf("replace: %d %+v", res.status, tmpl)
	}
	b.do(t, "GET", "/api/v1/templates", nil).json(t, &list)
	found := false
	for _, x := range list.Templates {
		if x.Message == "embargoed" && x.Language == "fr" {
			found = x.Origin == "override"
		}
	}
	if !found {
		t.Error("the list does not show the override")
	}

	// Readers of fr-CA get the fr override.
	b.do(t, "GET", "/api/v1/templates/embargoed/fr-CA", nil).json(t, &tmpl)
	if tmpl.Origin != "override" || tmpl.Language != "fr" {
		t.Errorf("fr-CA: %+v", tmpl)
	}

	// The dispatcher's view: the override applies to fr and fr-CA.
	ov, err := templates.LoadOverrides(context.Background(), b.db)
	if err != nil || len(ov.Problems()) > 0 {
		t.Fatal(err, ov.Problems())
	}
	p, err := templates.PrepareWith(ov, templates.VariantEmbargoed, templates.Release{
		Language: "fr-CA", Title: "Titre", Body: "Texte", EmbargoUntil: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	})
	if err != nil || p.Subject() != "SOUS EMBARGO JUSQU'AU 1 décembre 2026 à 09:00 UTC | Titre" {
		t.Errorf("PrepareWith: %v %q", err, p.Subject())
	}

	if res = b.do(t, "DELETE", "/api/v1/templates/embargoed/fr", nil); res.status != 204 {
		t.Errorf("delete: %d %s", res.status, res.body)
	}
	if res = b.do(t, "DELETE", "/api/v1/templates/embargoed/fr", nil); res.status != 404 {
		t.Errorf("delete again: %d %s", res.status, res.body)
	}
	b.do(t, "GET", "/api/v1/templates/embargoed/fr", nil).json(t, &tmpl)
	if tmpl.Origin != "builtin" {
		t.Errorf("after delete: %+v", tmpl)
	}
	// Each change is in the audit log; refused ones are not.
	var audit struct {
		Entries []struct {
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"entries"`
	}
	b.do(t, "GET", "/api/v1/audit", nil).json(t, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action+":"+fmt.Sprint(e.Details["message"], "/", e.Details["language"]))
	}
	if strings.Join(actions, ",") != "template.save:embargoed/fr,template.save:embargoed/fr,template.delete:embargoed/fr" {
		t.Errorf("audit log: %v", actions)
	}

	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/api/v1/templates/newsletter/fr", nil, 404},
		{"PUT", "/api/v1/templates/public/not_a_tag!", good, 422},
		{"PUT", "/api/v1/templates/public/fr", `{"subject":"x","text":"x","html":"x","htlm":"x"}`, 422},
		{"PUT", "/api/v1/templates/public/fr", `{"subject":"x"}`, 422},
		{"PUT", "/api/v1/templates/public/fr", `not json`, 422},
	} {
		if res := b.do(t, c.method, c.path, c.body); res.status != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, res.status, c.status, res.body)
		}
	}
	req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/templates", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("without a token: %v %v", res.StatusCode, err)
	}
}

func createRelease(t *testing.T, db *sqlx.DB, embargo *time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `
		INSERT INTO contacts (email, kind, name, title, organisation, phone) VALUES
		('awa.exemple@example.org', 'press_officer', 'Awa Exemple', 'Chargée de communication', 'AIM Nouakchott', '+222 45 00 00 00')
		ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	rel := &releases.Release{
		Slug: "mauritania-office-agreement", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {Title: "Mauritanie : un bureau à Nouakchott", Summary: "Un accord signé à Genève.", Body: "Le **bureau** ouvrira en 2027.", Dateline: "Genève"},
			"en": {Title: "Mauritania: an office in Nouakchott", Body: "The office opens in 2027.", Dateline: "Geneva"},
		},
		Countries: []string{"MR"}, EmbargoUntil: embargo, PressContacts: []string{"awa.exemple@example.org"},
	}
	id, err := releases.Create(ctx, db, rel)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestReleasePreview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lift := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	id := createRelease(t, b.db, &lift)
	base := "/api/v1/releases/" + itoa(id) + "/preview"

	res := b.do(t, "GET", base+"?lang=fr&message=embargoed&tz=Europe/Paris", nil)
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || res.header.Get("Content-Language") != "fr" {
		t.Fatalf("%d %v %s", res.status, res.header, res.body)
	}
	for _, want := range []string{
		`<html lang="fr" dir="ltr">`, "SOUS EMBARGO JUSQU&#39;AU 1 décembre 2026 à 09:00 UTC",
		`1 décembre 2026 à 10:00 (<bdi dir="ltr">Europe/Paris</bdi>)`, `<bdi dir="ltr">&#43;222 45 00 00 00</bdi>`,
		"<strong>bureau</strong>", "GENÈVE, 1 décembre 2026 —",
	} {
		if !bytes.Contains(res.body, []byte(want)) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if s, _ := new(mime.WordDecoder).DecodeHeader(res.header.Get("X-Communique-Subject")); !strings.HasPrefix(s, "SOUS EMBARGO JUSQU'AU 1 décembre 2026 à 09:00 UTC") {
		t.Errorf("subject header %q", s)
	}

	// Arabic readers of a release without Arabic get the original.
	res = b.do(t, "GET", base+"?lang=ar&format=text", nil)
	if res.status != 200 || res.header.Get("Content-Language") != "fr" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") ||
		!bytes.Contains(res.body, []byte("Pour plus d'informations")) {
		t.Errorf("fallback: %d %v\n%s", res.status, res.header, res.body)
	}
	if res = b.do(t, "GET", base+"?lang=en", nil); res.status != 200 || res.header.Get("Content-Language") != "en" {
		t.Errorf("en: %d %v", res.status, res.header)
	}
	// A mission has no unsubscribe link; a journalist has one.
	if res = b.do(t, "GET", base+"?lang=en&format=text&kind=mission&name=Permanent+Mission", nil); res.status != 200 ||
		bytes.Contains(res.body, []byte("Unsubscribe")) || bytes.Contains(res.body, []byte("Permanent Mission")) ||
		!bytes.Contains(res.body, []byte("This message was sent to mission@example.org.")) {
		t.Errorf("mission: %d\n%s", res.status, res.body)
	}
	if res = b.do(t, "GET", base+"?lang=en&format=text", nil); !bytes.Contains(res.body, []byte("Unsubscribe <https://news.example.org/unsubscribe/preview>")) {
		t.Errorf("journalist:\n%s", res.body)
	}

	noEmbargo := createReleaseSlug(t, b.db, "other-release")
	for _, c := range []struct {
		path   string
		status int
	}{
		{base + "?message=newsletter", 422},
		{base + "?tz=Mars/Olympus", 422},
		{base + "?format=pdf", 422},
		{base + "?kind=ambassador", 422},
		{base + "?lang=%3Cx%3E", 422},
		{"/api/v1/releases/999999/preview", 404},
		{"/api/v1/releases/" + itoa(noEmbargo) + "/preview?message=embargoed", 422},
		{"/api/v1/releases/" + itoa(noEmbargo) + "/preview?message=recall", 200},
	} {
		if res := b.do(t, "GET", c.path, nil); res.status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.path, res.status, c.status, res.body)
		}
	}
}

func createReleaseSlug(t *testing.T, db *sqlx.DB, slug string) int64 {
	t.Helper()
	rel := &releases.Release{
		Slug: slug, OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Another release", Body: "Text."}},
		Countries:    []string{"MR"}, PressContacts: []string{"awa.exemple@example.org"},
	}
	id, err := releases.Create(context.Background(), db, rel)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Templates that would burn the server's CPU are refused when saved, at
// once and with the bound they pass; one that passes the check but meets
// a release it cannot render within the budget is stopped, and the
// preview shows the built-in and says why.
func TestTemplateOverrideBudget(t *testing.T) {
	t.Parallel()
	b := setup(t)
	builtin := b.getBuiltin(t, "public")

	// 20 defines each calling the previous twice: about 1.3 KB, and a
	// million calls.
	var chain strings.Builder
	chain.WriteString(`{{define "d0"}}{{.Title}}{{end}}`)
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&chain, `{{define "d%d"}}{{template "d%d" .}}{{template "d%d" .}}{{end}}`, i, i-1, i-1)
	}
	chain.WriteString(`{{template "d20" .}}`)
	var bomb strings.Builder
	bomb.WriteString(`{{$a0 := joinWith .Title .Title .Title}}`)
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&bomb, `{{$a%d := joinWith $a%d $a%d $a%d}}`, i, i-1, i-1, i-1)
	}
	for _, c := range []struct {
		name string
		src  templates.Source
		want string
	}{
		{"define chain", templates.Source{Subject: "{{.Title}}", Text: chain.String(), HTML: builtin.HTML},
			"text: line 1: template calls nest 22 deep (text → d20 → d19 → … → d1 → d0); at most 10"},
		{"five nested ranges", templates.Source{Subject: "{{.Title}}", Text: "x",
			HTML: strings.Repeat("{{range $.Contacts}}", 5) + "{{.Name}}" + strings.Repeat("{{end}}", 5)},
			"html: line 1: ranges nest 5 deep; at most 2"},
		{"output", templates.Source{Subject: "{{.Title}}", Text: strings.Repeat("{{.BodyText}}", 400), HTML: builtin.HTML},
			"text: output exceeds 262144 bytes besides the release body"},
		{"function results", templates.Source{Subject: "{{.Title}}", Text: bomb.String(), HTML: builtin.HTML},
			"text: function results exceed 262144 bytes besides the release body"},
	} {
		start := time.Now()
		res := b.do(t, "PUT", "/api/v1/templates/public/en", c.src)
		took := time.Since(start)
		var eb errorBody
		res.json(t, &eb)
		if res.status != 422 || !strings.Contains(strings.Join(eb.Details, "\n"), c.want) {
			t.Errorf("%s: %d %+v, want 422 with %q", c.name, res.status, eb, c.want)
		}
		if took > time.Second {
			t.Errorf("%s: refused after %v, want under a second", c.name, took)
		}
	}

	// Two ranges deep passes on the sample's two press contacts...
	loop := templates.Source{Subject: "{{.Title}}",
		Text: "{{range .Contacts}}{{range $.Contacts}}{{end}}{{end}}{{.BodyText}}", HTML: builtin.HTML}
	if res := b.do(t, "PUT", "/api/v1/templates/public/en", loop); res.status != 201 {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	// ...and meets a release with 400 of them: 160,000 iterations a part.
	ctx := context.Background()
	if _, err := b.db.ExecContext(ctx, `
		INSERT INTO contacts (email, kind, name, title, organisation)
		SELECT 'officer' || g || '@example.org', 'press_officer', 'Officer ' || g, 'Press officer', 'IMA'
		FROM generate_series(1, 400) g`); err != nil {
		t.Fatal(err)
	}
	var officers []string
	for i := 1; i <= 400; i++ {
		officers = append(officers, fmt.Sprintf("officer%d@example.org", i))
	}
	id, err := releases.Create(ctx, b.db, &releases.Release{
		Slug: "many-contacts", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Many contacts", Body: "Text."}},
		Countries:    []string{"MR"}, PressContacts: officers,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := b.do(t, "GET", "/api/v1/releases/"+itoa(id)+"/preview?lang=en&format=text", nil)
	why, _ := new(mime.WordDecoder).DecodeHeader(res.header.Get("X-Communique-Override-Error"))
	if res.status != 200 || !strings.Contains(why, "override public/en") ||
		!(strings.Contains(why, "text: more than 100000 steps") || strings.Contains(why, "rendering took longer than 5s")) {
		t.Errorf("preview: %d, override error %q", res.status, why)
	}
	if !bytes.Contains(res.body, []byte("Officer 400")) || !bytes.Contains(res.body, []byte("For more information, please contact:")) {
		t.Errorf("the built-in did not render the preview:\n%.500s", res.body)
	}
	if logs := b.logs.String(); !strings.Contains(logs, `msg="template override failed on release" release_id=`+itoa(id)) {
		t.Errorf("the fallback was not logged:\n%s", logs)
	}
}

func (b *bundle) getBuiltin(t *testing.T, message string) templates.Template {
	t.Helper()
	var tmpl templates.Template
	b.do(t, "GET", "/api/v1/templates/"+message+"/en", nil).json(t, &tmpl)
	if tmpl.Origin != "builtin" {
		t.Fatalf("%s/en is not the built-in: %+v", message, tmpl)
	}
	return tmpl
}
