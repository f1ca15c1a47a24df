// Package releases owns press releases: their translations, audience and
// embargo settings, their life cycle from draft to published, and the
// delivery report.
package releases

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/communique/communique"
)

// Statuses of a release.
const (
	StatusDraft     = "draft"
	StatusEmbargoed = "embargoed"
	StatusPublished = "published"
	StatusRecalled  = "recalled"
)

// Release is a press release as the API shows it.
type Release struct {
	ID               int64                  `json:"id"`
	Slug             string                 `json:"slug"`
	OriginalLanguage string                 `json:"original_language"`
	Status           string                 `json:"status"`
	Translations     map[string]Translation `json:"translations"`
	Regions          []string               `json:"regions"`
	Countries        []string               `json:"countries"`
	Topics           []string               `json:"topics"`
	EmbargoUntil     *time.Time             `json:"embargo_until,omitempty"`
	EmbargoAudience  EmbargoAudience        `json:"embargo_audience"`
	PressContacts    []string               `json:"press_contacts"`
	// Greeting opens each message with a salutation to the reader;
	// off by default, as in most press offices' releases.
	Greeting bool `json:"greeting"`
	// Tracking counts opens and clicks of the release's messages; off
	// unless asked for.
	Tracking Tracking `json:"tracking"`
	// Clearance is shown, never taken: submit, clear and return set it.
	Clearance   *Clearance `json:"clearance,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

// Translation is a release's text in one language.
type Translation struct {
	Title    string `json:"title"`
	Summary  string `json:"summary"`
	Body     string `json:"body"`
	Dateline string `json:"dateline"`
}

// Tracking says what of a release's messages is counted: opens (a pixel
// in the HTML part) and clicks (links that lead through the service).
type Tracking struct {
	Opens  bool `json:"opens"`
	Clicks bool `json:"clicks"`
}

// EmbargoAudience says who gets an embargoed notice before the lift.
type EmbargoAudience struct {
	Missions            string `json:"missions"` // all, concerned or none
	VerifiedJournalists bool   `json:"verified_journalists"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Limits that keep one release from exhausting a message or the database.
const (
	maxTitle = 300
	maxBody  = 200_000
)

// Normalize canonicalizes language tags and country codes and fills
// defaults, returning every problem found, each naming its field.
func (r *Release) Normalize() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	r.Slug = strings.TrimSpace(r.Slug)
	switch {
	case r.Slug == "":
		bad("slug: required")
	case len(r.Slug) > 100 || !slugRE.MatchString(r.Slug):
		bad("slug: %q must be lower-case letters and digits separated by single hyphens", r.Slug)
	}

	orig, err := canonicalLanguage(r.OriginalLanguage)
	if err != nil {
		bad("original_language: %v", err)
	}
	r.OriginalLanguage = orig

	if len(r.Translations) == 0 {
		bad("translations: at least one is required")
	}
	canon := make(map[string]Translation, len(r.Translations))
	for tag, tr := range r.Translations {
		lang, err := canonicalLanguage(tag)
		if err != nil {
			bad("translations.%s: %v", tag, err)
			continue
		}
		if _, dup := canon[lang]; dup {
			bad("translations.%s: %s is given twice", tag, lang)
		}
		tr.Title = strings.TrimSpace(tr.Title)
		switch {
		case tr.Title == "":
			bad("translations.%s.title: required", tag)
		case len(tr.Title) > maxTitle:
			bad("translations.%s.title: longer than %d bytes", tag, maxTitle)
		}
		if len(tr.Body) > maxBody {
			bad("translations.%s.body: longer than %d bytes", tag, maxBody)
		}
		canon[lang] = tr
	}
	r.Translations = canon
	if orig != "" && len(canon) > 0 {
		if _, ok := canon[orig]; !ok {
			bad("original_language: no translation is given in %q", orig)
		}
	}

	for i, c := range r.Countries {
		r.Countries[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	if len(r.Regions)+len(r.Countries)+len(r.Topics) == 0 {
		bad("regions, countries, topics: name at least one, or the release reaches nobody")
	}

	if r.EmbargoAudience.Missions == "" {
		r.EmbargoAudience.Missions = "none"
	}
	switch r.EmbargoAudience.Missions {
	case "all", "concerned", "none":
	default:
		bad("embargo_audience.missions: %q must be all, concerned or none", r.EmbargoAudience.Missions)
	}
	if r.EmbargoUntil != nil {
		t := r.EmbargoUntil.UTC().Truncate(time.Second)
		r.EmbargoUntil = &t
	}

	if len(r.PressContacts) == 0 {
		bad("press_contacts: at least one is required (the first is the Reply-To)")
	}
	seen := map[string]bool{}
	for i, e := range r.PressContacts {
		e = strings.TrimSpace(e)
		r.PressContacts[i] = e
		if seen[strings.ToLower(e)] {
			bad("press_contacts[%d]: %q is listed twice", i, e)
		}
		seen[strings.ToLower(e)] = true
	}
	return communique.Invalid("invalid release", errs)
}

func canonicalLanguage(tag string) (string, error) {
	if strings.TrimSpace(tag) == "" {
		return "", fmt.Errorf("required")
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", fmt.Errorf("%q is not a BCP 47 language tag", tag)
	}
	return t.String(), nil
}

// Languages returns the release's translation languages, original first.
func (r *Release) Languages() []string {
	langs := []string{r.OriginalLanguage}
	for l := range r.Translations {
		if l != r.OriginalLanguage {
			langs = append(langs, l)
		}
	}
	return langs
}
