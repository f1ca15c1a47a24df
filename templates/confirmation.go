package templates

import "html"

// ConfirmationMail is the double opt-in e-mail a new subscriber receives.
type ConfirmationMail struct {
	Language            string
	Subject, Text, HTML string
}

// Confirmation renders the subscription confirmation e-mail in lang for a
// subscriber called name (may be empty), linking to confirmURL.
//
// Not yet localized: English only until the confirmation templates exist.
func Confirmation(lang, name, confirmURL string) (*ConfirmationMail, error) {
	text := "Please confirm your subscription to our press releases:\n\n" + confirmURL + "\n\nIf you did not ask for this, ignore this message.\n"
	html := `<p>Please confirm your subscription to our press releases:</p><p><a href="` + html.EscapeString(confirmURL) + `">Confirm</a></p>`
	return &ConfirmationMail{Language: "en", Subject: "Confirm your subscription", Text: text, HTML: html}, nil
}
