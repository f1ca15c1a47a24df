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
// codes, default kind and time zone, lists without repeats, line breaks in
// free text made spaces) and checks it, regions and topics against known.
// It returns an EINVALID *communique.Error listing every problem, or nil.
func (c *Contact) Normalize(known *taxonomy.Checker) error {
	return communique.Invalid("invalid contact", texts(newNormalizer(known).normalize(c)))
}

// problem is one reason a contact cannot be stored; field names the
// column or JSON field it is about, so an import can count its refusals
// by kind.
type problem struct{ field, text string }

func texts(ps []problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.text
	}
	return out
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
func (n *normalizer) normalize(c *Contact) []problem {
	var p []problem
	add := func(field, text string) {
		if text != "" {
			p = append(p, problem{field, text})
		}
	}
	addAll := func(field string, texts []string) {
		for _, t := range texts {
			add(field, t)
		}
	}
	c.Email = strings.TrimSpace(c.Email)
	add("email", CheckEmail(c.Email))

	c.Kind = strings.ToLower(strings.TrimSpace(c.Kind))
	if bad := checkWord("kind", c.Kind); bad != "" {
		add("kind", bad)
	} else {
		switch c.Kind {
		case "":
			c.Kind = KindJournalist
		case KindJournalist, KindMission, KindPressOfficer:
		default:
			add("kind", fmt.Sprintf("kind %s is not journalist, mission or press_officer", quote(c.Kind)))
		}
	}
	var bad string
	c.Name, bad = cleanText("name", c.Name, MaxTextLen)
	add("name", bad)
	c.Organisation, bad = cleanText("organisation", c.Organisation, MaxTextLen)
	add("organisation", bad)
	c.Phone, bad = cleanText("phone", c.Phone, MaxPhoneLen)
	add("phone", bad)
	c.Title, bad = cleanText("title", c.Title, MaxTextLen)
	add("title", bad)
	c.ConsentSource, bad = cleanText("consent_source", c.ConsentSource, MaxTextLen)
	add("consent_source", bad)
	c.ConsentIP = strings.TrimSpace(c.ConsentIP)
	add("consent_ip", checkWord("consent_ip", c.ConsentIP))
	c.Status = strings.ToLower(strings.TrimSpace(c.Status))
	add("status", checkWord("status", c.Status))

	c.Country = strings.ToUpper(strings.TrimSpace(c.Country))
	switch {
	case checkWord("country", c.Country) != "":
		add("country", checkWord("country", c.Country))
	case c.Country == "" && c.Kind == KindMission:
		add("country", "country is required for a mission")
	case c.Country != "" && !taxonomy.IsCountry(c.Country):
		add("country", fmt.Sprintf("country %s is not an ISO 3166-1 alpha-2 code", quote(c.Country)))
	}

	var bads []string
	c.Languages, bads = n.languages(c.Languages)
	addAll("languages", bads)

	c.Timezone = strings.TrimSpace(c.Timezone)
	switch {
	case c.Timezone == "":
		c.Timezone = "UTC"
	case checkWord("timezone", c.Timezone) != "":
		add("timezone", checkWord("timezone", c.Timezone))
	case !n.zone(c.Timezone):
		add("timezone", fmt.Sprintf("time zone %s is not an IANA time zone", quote(c.Timezone)))
	}

	c.Regions, bads = checkList("regions", "region %s is unknown", c.Regions, strings.ToLower, n.known.Region)
	addAll("regions", bads)
	c.Countries, bads = checkList("countries", "country %s in countries is unknown", c.Countries, strings.ToUpper, taxonomy.IsCountry)
	addAll("countries", bads)
	c.Topics, bads = checkList("topics", "topic %s is unknown", c.Topics, strings.ToLower, n.known.Topic)
	addAll("topics", bads)
	return p
}

// languages canonicalizes a preference list, dropping repeats; never nil,
// since the column is NOT NULL.
func (n *normalizer) languages(list []string) (pq.StringArray, []string) {
	langs := make(pq.StringArray, 0, min(len(list), MaxLanguages))
	var p []string
	for _, l := range list {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if bad := checkWord("languages", l); bad != "" {
			return langs, []string{bad}
		}
		tag := ""
		if len(l) <= maxTagLen {
			tag = n.tag(l)
		}
		if tag == "" {
			if len(p) < maxListProblems {
				p = append(p, fmt.Sprintf("language %s is not a BCP 47 language tag", quote(l)))
			}
		} else if !slices.Contains(langs, tag) {
			langs = append(langs, tag)
		}
	}
	if len(langs) > MaxLanguages {
		p = append(p, fmt.Sprintf("languages lists %d languages, more than %d", len(langs), MaxLanguages))
	}
	return langs, p
}

// maxListProblems bounds the problems reported for one list, so a row
// naming thousands of unknown slugs gets a reason of a few lines.
const maxListProblems = 3

// checkList cleans list with mapping and checks each item with known,
// naming up to maxListProblems unknown ones with format.
func checkList(field, format string, list []string, mapping func(string) string, known func(string) bool) (pq.StringArray, []string) {
	for _, s := range list {
		if bad := checkWord(field, s); bad != "" {
			return pq.StringArray{}, []string{bad}
		}
	}
	out := cleanList(list, mapping)
	if len(out) > MaxListLen {
		return out, []string{fmt.Sprintf("%s lists %d entries, more than %d", field, len(out), MaxListLen)}
	}
	var p []string
	unknown := 0
	for _, s := range out {
		if known(s) {
			continue
		}
		if unknown++; unknown <= maxListProblems {
			p = append(p, fmt.Sprintf(format, quote(s)))
		}
	}
	if unknown > maxListProblems {
		p = append(p, fmt.Sprintf("and %d more unknown in %s", unknown-maxListProblems, field))
	}
	return out, p
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
	if bad := checkBytes("email", addr); bad != "" {
		return bad
	}
	if len(addr) > MaxEmailLen {
		return fmt.Sprintf("email %s is %d bytes long, more than %d", quote(addr), len(addr), MaxEmailLen)
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
