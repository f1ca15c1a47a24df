package templates

import (
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
	Lang       string
	L          *labels
	Name       string
	ConfirmURL string
}

// Confirmation renders the subscription confirmation e-mail in lang for a
// subscriber called name (may be empty), linking to confirmURL. A
// language without built-in labels gets the English message, and Language
// says so.
func Confirmation(lang, name, confirmURL string) (*ConfirmationMail, error) {
	return ConfirmationWith(Overrides{}, lang, name, confirmURL)
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
	v := confirmationView{Lang: tag.String(), L: labelsFor(tag), Name: oneLine(name), ConfirmURL: u}
	if mt := ov.lookup(MessageConfirmation, v.Lang); mt != nil {
		if m, err := renderConfirmation(mt, &v); err == nil {
			return m, nil
		}
	}
	all, err := builtins()
	if err != nil {
		return nil, err
	}
	m, err := renderConfirmation(all[MessageConfirmation], &v)
	if err != nil {
		return nil, fmt.Errorf("templates: confirmation in %s: %w", v.Lang, err)
	}
	return m, nil
}

func renderConfirmation(mt *messageTemplates, v *confirmationView) (*ConfirmationMail, error) {
	m := &ConfirmationMail{Language: v.Lang}
	b := &limitedBuilder{max: maxPart}
	if err := mt.subject.Execute(b, v); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	if m.Subject = oneLine(b.String()); m.Subject == "" {
		return nil, fmt.Errorf("subject: renders empty")
	}
	b.Reset()
	if err := mt.text.ExecuteTemplate(b, mt.textEntry, v); err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	m.Text = b.String()
	b.Reset()
	if err := mt.html.ExecuteTemplate(b, mt.htmlEntry, v); err != nil {
		return nil, fmt.Errorf("html: %w", err)
	}
	m.HTML = b.String()
	return m, nil
}

func httpURL(u string) bool {
	lower := strings.ToLower(u)
	return strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")
}
