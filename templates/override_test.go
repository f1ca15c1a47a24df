package templates

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/communique/communique"
)

func builtinSource(t *testing.T, message string) Source {
	t.Helper()
	src, err := BuiltinSource(message)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestBuiltinsPassOverrideChecks: the built-in templates are held to the
// rules of administrators' templates, so saving one back always works.
func TestBuiltinsPassOverrideChecks(t *testing.T) {
	for _, m := range Messages() {
		for _, lang := range append(Languages(), "pt-BR") {
			if err := CheckOverride(context.Background(), m, lang, builtinSource(t, m)); err != nil {
				t.Errorf("%s/%s: %v", m, lang, err)
			}
		}
	}
}

func TestCheckOverrideRefuses(t *testing.T) {
	html := builtinSource(t, VariantPublic).HTML
	for name, tc := range map[string]struct {
		message string
		src     Source
		want    string // in one of the details
	}{
		"syntax error with its line": {VariantPublic, Source{"{{.Title}}", "a\nb\n{{if .Title}}", html}, "text: line 3: unexpected EOF"},
		"unknown field":              {VariantPublic, Source{"{{.Titel}}", "x", html}, `subject: line 1: executing "subject" at <.Titel>: can't evaluate field Titel`},
		"empty part":                 {VariantPublic, Source{"{{.Title}}", "  ", html}, "text: required"},
		"empty subject":              {VariantPublic, Source{"{{if false}}x{{end}}", "x", html}, "subject: renders empty"},
		"printf":                     {VariantPublic, Source{`{{printf "%0999999999d" 1}}`, "x", html}, `subject: line 1: function "printf" is not available`},
		"call":                       {VariantPublic, Source{"{{.Title}}", "{{call .Title}}", html}, `text: line 1: function "call" is not available`},
		"html escaper by hand":       {VariantPublic, Source{"{{.Title}}", "x", "<p>{{.Title | html}}</p>"}, `html: line 1: function "html" is not available`},
		"range over a number":        {VariantPublic, Source{"{{.Title}}", "{{range 1000000000}}x{{end}}", html}, "text: line 1: range may only go over a field"},
		"range over len":             {VariantPublic, Source{"{{.Title}}", "{{$n := len .BodyText}}{{range $n}}{{range $n}}x{{end}}{{end}}", html}, "range may only go over a field"},
		"range over dot":             {VariantPublic, Source{"{{.Title}}", "{{with len .Title}}{{range .}}x{{end}}{{end}}", html}, "range may only go over a field"},
		"recursion": {VariantPublic, Source{"{{.Title}}", `{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`, html},
			"a → a"},
		"mutual recursion":   {VariantPublic, Source{"{{.Title}}", `{{define "a"}}{{template "b" .}}{{end}}{{define "b"}}{{template "a" .}}{{end}}x`, html}, "templates call themselves"},
		"undefined template": {VariantPublic, Source{"{{.Title}}", `{{template "nope" .}}`, html}, `template "nope" not defined`},
		"too large output": {VariantPublic, Source{"{{.Title}}", strings.Repeat("{{.BodyText}}{{.BodyText}}{{.BodyText}}{{.BodyText}}", 2000), html},
			"text: output exceeds 262144 bytes besides the release body"},
		"name in a script":     {VariantPublic, Source{"{{.Title}}", "x", "<script>var n = {{.Recipient.Name}};</script>"}, "html: a personal field is inside <script>"},
		"name in an onclick":   {VariantPublic, Source{"{{.Title}}", "x", `<a onclick="f({{.Recipient.Name}})">x</a>`}, `in the "onclick" attribute`},
		"name in a style":      {VariantPublic, Source{"{{.Title}}", "x", `<p style="color:{{.Recipient.Name}}">x</p>`}, `in the "style" attribute`},
		"name starting a link": {VariantPublic, Source{"{{.Title}}", "x", `<a href="{{.Recipient.Name}}">x</a>`}, "starts the URL"},
		"unquoted attribute":   {VariantPublic, Source{"{{.Title}}", "x", `<p title={{.Recipient.Name}}>x</p>`}, "unquoted attribute"},
		"lift in an attribute": {VariantEmbargoed, Source{"{{.Title}}", "x", `<p title="{{.Recipient.LocalLift}}">x</p>`}, "a lift time is in an attribute"},
		"first contact always": {VariantPublic, Source{"{{(index .Contacts 0).Name}}", "x", html}, "index out of range"},
		"confirmation field":   {MessageConfirmation, Source{"{{.Title}}", "x", "<p>x</p>"}, "can't evaluate field Title"},
	} {
		err := CheckOverride(context.Background(), tc.message, "fr", tc.src)
		var e *communique.Error
		if !errors.As(err, &e) || e.Code != communique.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
			continue
		}
		if !strings.Contains(strings.Join(e.Details, "\n"), tc.want) {
			t.Errorf("%s: details %q lack %q", name, e.Details, tc.want)
		}
	}
}

func TestCheckOverrideAccepts(t *testing.T) {
	for name, tc := range map[string]struct {
		message string
		src     Source
	}{
		// html/template drops comments, fields and all.
		"comment": {VariantPublic, Source{"{{.Title}}", "x", `<p>x</p><!-- {{.Recipient.Name}} -->`}},
		"new layout": {VariantPublic, Source{"[IMA] {{.Title}}", "{{.Title}}\n\n{{.BodyText}}",
			`<p>{{with .Recipient.Name}}Hello {{.}}{{end}}</p>{{.BodyHTML}}<a href="{{.Recipient.UnsubscribeURL}}">x</a><a href="mailto:{{.Recipient.Email}}">me</a>`}},
		"a banner on the built-in layout": {VariantEmbargoed, Source{"{{.Embargo}} | {{.Title}}",
			`{{define "banner"}}!!! {{.Embargo}}{{with .Recipient.LocalLift}} / {{.}}{{end}}` + "\n\n" + `{{end}}{{template "layout" .}}`,
			`{{define "banner"}}<tr><td><b>{{.Embargo}}</b> {{.Recipient.LocalLift}}</td></tr>{{end}}{{template "layout" .}}`}},
		"contacts":     {VariantRecall, Source{"{{.L.Recalled}}: {{.Title}}", "{{range $i, $c := .Contacts}}{{$c.Name}}{{end}}", "<ul>{{range $.Contacts}}<li>{{.Name}}</li>{{end}}</ul>"}},
		"confirmation": {MessageConfirmation, Source{"Confirm, {{.Name}}", "{{.ConfirmURL}}", `<a href="{{.ConfirmURL}}">{{.L.ConfirmButton}}</a>`}},
	} {
		if err := CheckOverride(context.Background(), tc.message, "fr", tc.src); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func overridesOf(t *testing.T, rows ...storedOverride) Overrides {
	t.Helper()
	ov := newOverrides(rows)
	if len(ov.Problems()) > 0 {
		t.Fatal(ov.Problems())
	}
	return ov
}

func TestPrepareWithOverride(t *testing.T) {
	ov := overridesOf(t, storedOverride{Message: VariantEmbargoed, Language: "fr", Source: Source{
		Subject: "[EMBARGO] {{.Title}}\r\nBcc: victim@example.net",
		Text:    "Bonjour {{.Recipient.Name}} : {{.Embargo}}{{with .Recipient.LocalLift}} ({{.}}){{end}}",
		HTML:    `<p lang="{{.Lang}}">{{.Recipient.Name}} — {{.Recipient.LocalLift}}</p>`,
	}})
	// fr-CA reads the fr override; en reads the built-in.
	p, err := PrepareWith(ov, VariantEmbargoed, sampleRelease("fr-CA", VariantEmbargoed))
	if err != nil || p.OverrideError() != nil {
		t.Fatal(err, p.OverrideError())
	}
	if want := "[EMBARGO] Mauritanie : l'AIM ouvrira un bureau à Nouakchott Bcc: victim@example.net"; p.Subject() != want {
		t.Errorf("subject %q, want %q", p.Subject(), want)
	}
	text, html := p.Personalize(Recipient{Name: "<Ana>", TimeZone: "Europe/Paris"})
	if want := "Bonjour <Ana> : SOUS EMBARGO JUSQU'AU 1 décembre 2026 à 09:00 UTC (1 décembre 2026 à 10:00 (Europe/Paris))"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	if want := `<p lang="fr-CA">&lt;Ana&gt; — 1 décembre 2026 à 10:00 (<bdi dir="ltr">Europe/Paris</bdi>)</p>`; html != want {
		t.Errorf("html %q, want %q", html, want)
	}
	if p2, _ := PrepareWith(ov, VariantEmbargoed, sampleRelease("en", VariantEmbargoed)); !strings.HasPrefix(p2.Subject(), "EMBARGOED UNTIL") {
		t.Errorf("en subject %q: the fr override leaked", p2.Subject())
	}
}

// An override that passed the sample but fails on a real release falls
// back to the built-in and says so.
func TestPrepareWithFailingOverride(t *testing.T) {
	ov := overridesOf(t, storedOverride{Message: VariantPublic, Language: "en", Source: Source{
		Subject: "{{.Title}}",
		Text:    "{{if eq .Summary \"\"}}{{index .Contacts 5}}{{end}}{{.BodyText}}",
		HTML:    "<p>{{.Title}}</p>",
	}})
	r := release("en")
	r.Summary = ""
	p, err := PrepareWith(ov, VariantPublic, r)
	if err != nil {
		t.Fatal(err)
	}
	if p.OverrideError() == nil {
		t.Error("no OverrideError")
	}
	if _, html := p.Personalize(ana); !strings.Contains(html, "<!DOCTYPE html>") {
		t.Error("the built-in did not render")
	}
}

func TestStoredOverrideThatNoLongerCompiles(t *testing.T) {
	ov := newOverrides([]storedOverride{
		{Message: VariantPublic, Language: "en", Source: Source{"{{.Title}}", "{{.Gone}}", "x"}},
		{Message: VariantPublic, Language: "fr", Source: Source{"{{printf .Title}}", "x", "x"}},
	})
	if len(ov.Problems()) != 1 || !strings.Contains(ov.Problems()[0], "public/fr") {
		t.Errorf("problems %q", ov.Problems())
	}
	if ov.Key() == "" || ov.Key() == newOverrides(nil).Key() {
		t.Error("Key does not tell overrides apart")
	}
}

func TestConfirmationOverride(t *testing.T) {
	ov := overridesOf(t, storedOverride{Message: MessageConfirmation, Language: "pt", Source: Source{
		Subject: "Confirme a sua assinatura", Text: "Olá {{.Name}}: {{.ConfirmURL}}", HTML: `<a href="{{.ConfirmURL}}">{{.Name}}</a>`,
	}})
	c, err := ConfirmationWith(ov, "pt-BR", "<Ana>", "https://news.example.org/confirm/t")
	if err != nil {
		t.Fatal(err)
	}
	if c.Language != "pt-BR" || c.Subject != "Confirme a sua assinatura" || c.HTML != `<a href="https://news.example.org/confirm/t">&lt;Ana&gt;</a>` {
		t.Errorf("%+v", c)
	}
}
