package templates

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/text/language"

	"github.com/communique/communique"
)

// ConfirmationMail is the double opt-in e-mail a new subscriber receives.
type ConfirmationMail struct {
	Language            string
	Subject, Text, HTML string
}

// confirmationView is what the confirmation's templates see.
type confirmationView struct {
	Lang string
	L    *labels
	// Name is for administrators' templates only: the built-in ones greet
	// nobody by name, because the only name known when a confirmation
	// goes out is whatever the requester typed into the form, and the
	// organisation's own address must not carry a stranger's words.
	Name       string
	ConfirmURL string
	Brand      brandView
}

// Confirmation renders the subscription confirmation e-mail in lang,
// linking to confirmURL. name reaches only an administrator's template
// that asks for it; the public pages pass none. A language without
// built-in labels gets the English message, and Language says so.
func Confirmation(lang, name, confirmURL string) (*ConfirmationMail, error) {
	return ConfirmationWith(Overrides{}, lang, name, confirmURL)
}

// PreferencesLink renders the e-mail that brings a subscriber who asked
// for it a link to their preferences, in lang: the confirmation's
// layout with words of its own. Like the confirmation it holds nothing a
// requester typed.
func PreferencesLink(lang, preferencesURL string) (*ConfirmationMail, error) {
	return PreferencesLinkWith(Overrides{}, lang, preferencesURL)
}

// PreferencesLinkWith is PreferencesLink showing ov's brand; the mail
// has no template of its own to override.
func PreferencesLinkWith(ov Overrides, lang, preferencesURL string) (*ConfirmationMail, error) {
	tag, err := language.Parse(lang)
	if err != nil || tag == language.Und {
		tag = language.English
	}
	base, _ := tag.Base()
	words, ok := preferencesWords[base.String()]
	if !ok {
		tag, words = language.English, preferencesWords[fallbackLabels]
	}
	l := *labelsFor(tag)
	l.ConfirmSubject, l.ConfirmHeading, l.ConfirmText = words.subject, words.heading, words.text
	l.ConfirmButton, l.ConfirmIgnore = words.button, words.ignore
	u := oneLine(preferencesURL)
	if u == "" {
		return nil, communique.Errorf(communique.EINVALID, "the preferences link is empty")
	}
	all, err := builtins()
	if err != nil {
		return nil, err
	}
	m, err := renderConfirmation(context.Background(), all[MessageConfirmation], &confirmationView{Lang: tag.String(), L: &l, ConfirmURL: u, Brand: ov.brand.view(tag.String())}, builtinLimits)
	if err != nil {
		return nil, fmt.Errorf("templates: preferences link in %s: %w", tag, err)
	}
	return m, nil
}

// preferencesWords are the words of the preferences link's mail, by
// language, in the register of each language's confirmation.
var preferencesWords = map[string]struct{ subject, heading, text, button, ignore string }{
	"en": {
		subject: "Your link to change what you receive from our press office",
		heading: "Change your preferences",
		text:    "You asked for a link to change the press releases you receive at this address: the regions, countries and topics you follow, your languages and your time zone. The link is valid for seven days:",
		button:  "Change my preferences",
		ignore:  "If you did not ask for this, ignore this message: nothing will change.",
	},
	"fr": {
		subject: "Votre lien pour modifier ce que vous recevez de notre service de presse",
		heading: "Modifiez vos préférences",
		text:    "Vous avez demandé un lien pour modifier les communiqués de presse que vous recevez à cette adresse" + nbsp + ": les régions, les pays et les thèmes que vous suivez, vos langues et votre fuseau horaire. Ce lien est valable sept jours" + nbsp + ":",
		button:  "Modifier mes préférences",
		ignore:  "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message" + nbsp + ": rien ne sera modifié.",
	},
	"es": {
		subject: "Su enlace para cambiar lo que recibe de nuestra oficina de prensa",
		heading: "Cambie sus preferencias",
		text:    "Ha solicitado un enlace para cambiar los comunicados de prensa que recibe en esta dirección: las regiones, los países y los temas que sigue, sus idiomas y su zona horaria. El enlace es válido durante siete días:",
		button:  "Cambiar mis preferencias",
		ignore:  "Si usted no lo ha solicitado, ignore este mensaje: no se cambiará nada.",
	},
	"ar": {
		subject: "رابط تعديل ما تتلقونه من مكتبنا الصحفي",
		heading: "تعديل التفضيلات",
		text:    "لقد طلبتم رابطًا لتعديل البيانات الصحفية التي تتلقونها على هذا العنوان: المناطق والبلدان والمواضيع التي تتابعونها، ولغاتكم ومنطقتكم الزمنية. الرابط صالح لمدة سبعة أيام:",
		button:  "تعديل تفضيلاتي",
		ignore:  "إذا لم تطلبوا ذلك، فتجاهلوا هذه الرسالة: لن يتغيّر شيء.",
	},
}

// ConfirmationWith is Confirmation with ov's template for the language, if
// there is one; an override that fails falls back to the built-in.
//
// Unlike release messages, it renders per subscriber, with real values:
// confirmations go out one at a time, and html/template then escapes the
// name for whatever context a template puts it in, and turns a link with
// an unsafe scheme into a harmless one.
func ConfirmationWith(ov Overrides, lang, name, confirmURL string) (*ConfirmationMail, error) {
	tag, err := language.Parse(lang)
	if err != nil || tag == language.Und {
		tag = language.English
	}
	// Every word of a confirmation is a label: a language with neither
	// labels nor an override would be English under another tag.
	if base, _ := tag.Base(); labelSets[base.String()] == nil && ov.lookup(MessageConfirmation, tag.String()) == nil {
		tag = language.English
	}
	u := oneLine(confirmURL)
	if u == "" {
		return nil, communique.Errorf(communique.EINVALID, "the confirmation link is empty")
	}
	v := confirmationView{Lang: tag.String(), L: labelsFor(tag), Name: oneLine(name), ConfirmURL: u, Brand: ov.brand.view(tag.String())}
	if mt := ov.lookup(MessageConfirmation, v.Lang); mt != nil {
		if m, err := renderConfirmation(context.Background(), mt, &v, ov.limits()); err == nil {
			return m, nil
		}
	}
	all, err := builtins()
	if err != nil {
		return nil, err
	}
	m, err := renderConfirmation(context.Background(), all[MessageConfirmation], &v, builtinLimits)
	if err != nil {
		return nil, fmt.Errorf("templates: confirmation in %s: %w", v.Lang, err)
	}
	return m, nil
}

// renderConfirmation renders a confirmation under lim (see budget.go).
func renderConfirmation(ctx context.Context, mt *messageTemplates, v *confirmationView, lim limits) (*ConfirmationMail, error) {
	b := newBudget(ctx, lim)
	mt, err := mt.budgeted(b)
	if err != nil {
		return nil, err
	}
	m := &ConfirmationMail{Language: v.Lang}
	w := &writer{b: b}
	b.start("subject", 0)
	if err := b.result(mt.subject.Execute(w, v)); err != nil {
		return nil, partError("subject", err)
	}
	if m.Subject = oneLine(w.String()); m.Subject == "" {
		return nil, fmt.Errorf("subject: renders empty")
	}
	w.Reset()
	b.start("text", 0)
	if err := b.result(mt.text.ExecuteTemplate(w, mt.textEntry, v)); err != nil {
		return nil, partError("text", err)
	}
	m.Text = w.String()
	w.Reset()
	b.start("html", 0)
	if err := b.result(mt.html.ExecuteTemplate(w, mt.htmlEntry, v)); err != nil {
		return nil, partError("html", err)
	}
	m.HTML = w.String()
	return m, nil
}

func httpURL(u string) bool {
	lower := strings.ToLower(u)
	return strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")
}
