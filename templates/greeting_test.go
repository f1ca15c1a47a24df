package templates

import (
	"strings"
	"testing"
)

// A release opens without a greeting unless the press office asks for one;
// then a person is greeted by name, or with the neutral salutation when
// the name is unknown, and an institution is never greeted.
func TestGreeting(t *testing.T) {
	for _, lang := range Languages() {
		l := labelSets[lang]
		person := Recipient{Name: "Ana Silva", Email: "ana.silva@example.com"}
		unnamed := Recipient{Email: "desk@example.com"}
		mission := Recipient{Name: "Permanent Mission of Mauritania", Email: "mission.mr@example.org", Institution: true}
		title := sampleTexts[lang].title

		off := prepare(t, release(lang))
		for _, rc := range []Recipient{person, unnamed, mission} {
			text, html := off.Personalize(rc)
			if !strings.HasPrefix(text, title+"\n") {
				t.Errorf("%s, no greeting: text starts %.80q", lang, text)
			}
			mustNotContain(t, lang+" html", html, l.GreetingNeutral, l.Greeting.Before+"<bdi>", `<p style="margin:0 0 24px 0;">`)
		}

		on := prepare(t, greeting(release(lang)))
		text, html := on.Personalize(person)
		mustContain(t, lang+" text", text, l.Greeting.Before+"Ana Silva"+l.Greeting.After+"\n\n"+title+"\n")
		mustContain(t, lang+" html", html, `<p style="margin:0 0 24px 0;">`+l.Greeting.Before+"<bdi>Ana Silva</bdi>"+l.Greeting.After+"</p>\n<h1")
		text, html = on.Personalize(unnamed)
		mustContain(t, lang+" text", text, l.GreetingNeutral+"\n\n"+title+"\n")
		mustContain(t, lang+" html", html, `<p style="margin:0 0 24px 0;">`+l.GreetingNeutral+"</p>")
		text, html = on.Personalize(mission)
		if !strings.HasPrefix(text, title+"\n") {
			t.Errorf("%s, a mission: text starts %.80q", lang, text)
		}
		mustNotContain(t, lang+" mission", text+html, "Permanent Mission", l.GreetingNeutral)
		mustContain(t, lang+" mission html", html, "mission.mr@example.org")
	}
}

// The greeting is a paragraph of HTML: an administrator's template may
// not put it in an attribute.
func TestGreetingNotInAttribute(t *testing.T) {
	err := CheckOverride(t.Context(), VariantPublic, "en", Source{"{{.Title}}", "x", `<p title="{{.Recipient.Greeting}}">x</p>`})
	if err == nil || !strings.Contains(err.Error(), "the greeting is in an attribute") {
		t.Errorf("err = %v", err)
	}
}
