package templates

import (
	"github.com/go-playground/locales"
	"github.com/go-playground/locales/en_GB"
	"github.com/go-playground/locales/fr"
)

// around is a label that goes on both sides of a value, so a translation can
// put the value wherever its grammar wants it.
type around struct{ Before, After string }

// labels is everything a message says that does not come from the release.
// Adding a language (es, ar) means adding one more value to labelSets; the
// templates only ever read these fields.
type labels struct {
	// Dir is the writing direction, "ltr" or "rtl"; Start and End are the
	// matching CSS sides, because mail clients ignore logical properties.
	Dir, Start, End string
	// Comma separates the dateline's place from its date.
	Comma string

	Greeting        around // around the recipient's name
	GreetingNeutral string // when the name is unknown

	ContactHeading string
	Phone, Email   string // prefixes of a contact's phone and e-mail lines

	SentTo      around // around the recipient's address in the footer
	Unsubscribe string

	// date formats the dateline's date the way CLDR says this language does.
	date locales.Translator
}

// French typography wants a no-break space before ":" so the colon never
// wraps to a line of its own.
const nbsp = "\u00a0"

var labelSets = map[string]*labels{
	"en": {
		Dir: "ltr", Start: "left", End: "right",
		Comma:           ",",
		Greeting:        around{"Dear ", ","},
		GreetingNeutral: "Dear Sir or Madam,",
		ContactHeading:  "For more information, please contact:",
		Phone:           "Tel.:",
		Email:           "E-mail:",
		SentTo:          around{"This message was sent to ", "."},
		Unsubscribe:     "Unsubscribe",
		// en_GB, not en: CLDR's "en" long date is the US "November 27, 2026",
		// while releases from Geneva are dated "27 November 2026".
		date: en_GB.New(),
	},
	"fr": {
		Dir: "ltr", Start: "left", End: "right",
		Comma:           ",",
		Greeting:        around{"Bonjour ", ","},
		GreetingNeutral: "Madame, Monsieur,",
		ContactHeading:  "Pour plus d'informations, veuillez contacter" + nbsp + ":",
		Phone:           "Tél." + nbsp + ":",
		Email:           "Courriel" + nbsp + ":",
		SentTo:          around{"Ce message a été envoyé à ", "."},
		Unsubscribe:     "Se désabonner",
		date:            fr.New(),
	},
}

// fallbackLabels serve any language without a label set of its own.
const fallbackLabels = "en"
