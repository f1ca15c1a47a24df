// Package contacts owns the people releases go to (journalists, member-state
// missions, press officers), their subscriptions, the CSV import and export
// of them, and the rules that turn a release into its audience.
package contacts

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate the same on hosts without zoneinfo

	"github.com/lib/pq"
	"golang.org/x/net/idna"
	"golang.org/x/text/language"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// Contact kinds.
const (
	KindJournalist   = "journalist"
	KindMission      = "mission"
	KindPressOfficer = "press_officer"
)

// Contact statuses. Only active contacts are sent releases.
const (
	StatusPending      = "pending"
	StatusActive       = "active"
	StatusUnsubscribed = "unsubscribed"
	StatusBounced      = "bounced"
	StatusBlocked      = "blocked"
)

// Contact is a recipient of releases. The list fields are pq.StringArray,
// a []string that also scans from and binds to PostgreSQL text[].
type Contact struct {
	ID    int64  `db:"id" json:"id"`
	Email string `db:"email" json:"email"`
	Kind  string `db:"kind" json:"kind"`
	Name  string `db:"name" json:"name"`
	// Organisation is the outlet of a journalist or the mission's name.
	Organisation string `db:"organisation" json:"organisation"`
	// Country is an ISO 3166-1 alpha-2 code or "": for a mission, the
	// member state it represents. Queries select coalesce(country, '').
	Country string `db:"country" json:"country"`
	// Languages are BCP 47 tags, most preferred first.
	Languages pq.StringArray `db:"languages" json:"languages"`
	Timezone  string         `db:"timezone" json:"timezone"`
	Verified  bool           `db:"verified" json:"verified"`
	Status    string         `db:"status" json:"status"`
	Phone     string         `db:"phone" json:"phone"`
	Title     string         `db:"title" json:"title"`

	// Subscriptions: region slugs, country codes and topic slugs followed.
	Regions   pq.StringArray `db:"regions" json:"regions"`
	Countries pq.StringArray `db:"countries" json:"countries"`
	Topics    pq.StringArray `db:"topics" json:"topics"`

	// Consent: when, how (a form, an import, an administrator) and from
	// which address it was given.
	ConsentAt     *time.Time `db:"consent_at" json:"consent_at,omitempty"`
	ConsentSource string     `db:"consent_source" json:"consent_source"`
	ConsentIP     string     `db:"consent_ip" json:"consent_ip"`
	// ConfirmedAt and ConfirmedIP record the click on the confirmation
	// link that activated a self-service subscription (double opt-in).
	ConfirmedAt *time.Time `db:"confirmed_at" json:"confirmed_at,omitempty"`
	ConfirmedIP string     `db:"confirmed_ip" json:"confirmed_ip,omitempty"`

	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Normalize trims and canonicalizes c (language tags, upper-case country
// codes, default kind and time zone, lists without repeats) and checks it,
// regions and topics against known. It returns an EINVALID
// *communique.Error listing every problem, or nil.
func (c *Contact) Normalize(known *taxonomy.Checker) error {
	return communique.Invalid("invalid contact", newNormalizer(known).normalize(c))
}

// normalizer checks contacts; it remembers the time zones and language
// tags it has seen because an import meets the same few on every row and
// loading a zone reads the time zone database each time.
type normalizer struct {
	known *taxonomy.Checker
	zones map[string]bool
	tags  map[string]string // input → canonical tag, "" when invalid
}

func newNormalizer(known *taxonomy.Checker) *normalizer {
	return &normalizer{known: known, zones: map[string]bool{}, tags: map[string]string{}}
}

// normalize canonicalizes c in place and returns its problems.
func (n *normalizer) normalize(c *Contact) []string {
	var p []string
	c.Email = strings.TrimSpace(c.Email)
	if reason := CheckEmail(c.Email); reason != "" {
		p = append(p, reason)
	}
	c.Kind = strings.ToLower(strings.TrimSpace(c.Kind))
	switch c.Kind {
	case "":
		c.Kind = KindJournalist
	case KindJournalist, KindMission, KindPressOfficer:
	default:
		p = append(p, fmt.Sprintf("kind %q is not journalist, mission or press_officer", c.Kind))
	}
	c.Name = strings.TrimSpace(c.Name)
	c.Organisation = strings.TrimSpace(c.Organisation)
	c.Phone = strings.TrimSpace(c.Phone)
	c.Title = strings.TrimSpace(c.Title)

	c.Country = strings.ToUpper(strings.TrimSpace(c.Country))
	switch {
	case c.Country == "" && c.Kind == KindMission:
		p = append(p, "country is required for a mission")
	case c.Country != "" && !taxonomy.IsCountry(c.Country):
		p = append(p, fmt.Sprintf("country %q is not an ISO 3166-1 alpha-2 code", c.Country))
	}

	langs := make(pq.StringArray, 0, len(c.Languages)) // never nil: the column is NOT NULL
	for _, l := range c.Languages {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		tag := n.tag(l)
		if tag == "" {
			p = append(p, fmt.Sprintf("language %q is not a BCP 47 language tag", l))
		} else if !slices.Contains(langs, tag) {
			langs = append(langs, tag)
		}
	}
	c.Languages = langs

	c.Timezone = strings.TrimSpace(c.Timezone)
	if c.Timezone == "" {
		c.Timezone = "UTC"
	} else if !n.zone(c.Timezone) {
		p = append(p, fmt.Sprintf("time zone %q is not an IANA time zone", c.Timezone))
	}

	c.Regions = cleanList(c.Regions, strings.ToLower)
	c.Countries = cleanList(c.Countries, strings.ToUpper)
	c.Topics = cleanList(c.Topics, strings.ToLower)
	for _, r := range c.Regions {
		if !n.known.Region(r) {
			p = append(p, fmt.Sprintf("region %q is unknown", r))
		}
	}
	for _, x := range c.Countries {
		if !taxonomy.IsCountry(x) {
			p = append(p, fmt.Sprintf("country %q in countries is unknown", x))
		}
	}
	for _, t := range c.Topics {
		if !n.known.Topic(t) {
			p = append(p, fmt.Sprintf("topic %q is unknown", t))
		}
	}
	return p
}

func (n *normalizer) tag(s string) string {
	if t, ok := n.tags[s]; ok {
		return t
	}
	canonical := ""
	if t, err := language.Parse(s); err == nil && t != language.Und {
		canonical = t.String()
	}
	if len(n.tags) < 1000 { // a hostile file must not grow the cache
		n.tags[s] = canonical
	}
	return canonical
}

func (n *normalizer) zone(name string) bool {
	if ok, seen := n.zones[name]; seen {
		return ok
	}
	// "Local" would mean the server's zone, not the contact's.
	_, err := time.LoadLocation(name)
	ok := err == nil && name != "Local"
	if len(n.zones) < 1000 {
		n.zones[name] = ok
	}
	return ok
}

// cleanList trims, maps and de-duplicates list, keeping the first order
// and dropping empty items.
func cleanList(list []string, mapping func(string) string) pq.StringArray {
	out := make(pq.StringArray, 0, len(list))
	for _, s := range list {
		s = mapping(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// CheckEmail returns why addr is not a bare e-mail address, or "". The
// domain may be internationalized; it is converted to ASCII only to check
// it and stored as given.
func CheckEmail(addr string) string {
	if addr == "" {
		return "email is missing"
	}
	if len(addr) > 254 {
		return fmt.Sprintf("email %q is longer than 254 bytes", addr)
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return fmt.Sprintf("email %q is not a valid address", addr)
	}
	at := strings.LastIndexByte(addr, '@') // present: parsing succeeded
	local, domain := addr[:at], addr[at+1:]
	if len(local) > 64 {
		return fmt.Sprintf("email %q has a local part longer than 64 bytes", addr)
	}
	if _, err := idna.Lookup.ToASCII(domain); err != nil || !strings.Contains(domain, ".") {
		return fmt.Sprintf("email %q has an invalid domain %q", addr, domain)
	}
	return ""
}
