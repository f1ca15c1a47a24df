// Package taxonomy owns the vocabulary an audience is described with:
// regions (the UN M49 regions built in, plus named sets of countries that
// administrators add), ISO 3166-1 countries, and topics.
package taxonomy

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"golang.org/x/text/language"

	"github.com/communique/communique/postgres"
)

// Region is a named set of countries. Built-in regions follow UN M49 and
// may nest (Parent); custom ones are flat lists chosen by an administrator.
type Region struct {
	Slug string `db:"slug" json:"slug"`
	// Parent is the slug of the region this one lies in, or "".
	Parent  string `db:"parent_slug" json:"parent,omitempty"`
	M49     string `db:"m49" json:"m49,omitempty"`
	Names   Names  `db:"names" json:"names"`
	Builtin bool   `db:"builtin" json:"builtin"`
	// Countries holds every country of the region, including those of the
	// regions inside it, so that matching a country never needs recursion.
	Countries []string `db:"-" json:"countries"`
}

// Topic is a subject releases are tagged with and journalists follow.
type Topic struct {
	Slug  string `db:"slug" json:"slug"`
	Names Names  `db:"names" json:"names"`
}

// Names maps a BCP 47 language tag to a display name; it is stored as a
// jsonb object.
type Names map[string]string

// Value implements driver.Valuer.
func (n Names) Value() (driver.Value, error) {
	if n == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(n))
}

// Scan implements sql.Scanner.
func (n *Names) Scan(src any) error { return postgres.ScanJSON(src, (*map[string]string)(n)) }

// slugPattern is the schema's CHECK on regions.slug and topics.slug, so a
// bad slug is reported as such instead of as a constraint violation.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

const maxSlugLen = 64

// checkSlug returns why slug cannot be used, or "".
func checkSlug(slug string) string {
	switch {
	case slug == "":
		return "slug is missing"
	case len(slug) > maxSlugLen:
		return fmt.Sprintf("slug %q is longer than %d characters", slug, maxSlugLen)
	case !slugPattern.MatchString(slug):
		return fmt.Sprintf("slug %q must be lower-case letters and digits separated by single hyphens", slug)
	}
	return ""
}

// normalizeNames canonicalizes the language tags of n in place and returns
// the problems found, each naming the offending tag.
func normalizeNames(n Names) (Names, []string) {
	var problems []string
	if len(n) == 0 {
		return n, []string{"names: at least one name is required"}
	}
	out := make(Names, len(n))
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	slices.Sort(keys) // stable problem order
	for _, k := range keys {
		tag, err := language.Parse(k)
		if err != nil || tag == language.Und {
			problems = append(problems, fmt.Sprintf("names: %q is not a BCP 47 language tag", k))
			continue
		}
		if n[k] == "" {
			problems = append(problems, fmt.Sprintf("names: the %q name is empty", k))
			continue
		}
		out[tag.String()] = n[k]
	}
	return out, problems
}

// In returns the name for the BCP 47 tag lang: its own, else its base
// language's ("fr" for "fr-CH"), else the English one, else the first by
// tag, so that every region and topic has a label on every page.
func (n Names) In(lang string) string {
	if s := n[lang]; s != "" {
		return s
	}
	if tag, err := language.Parse(lang); err == nil {
		if base, _ := tag.Base(); n[base.String()] != "" {
			return n[base.String()]
		}
	}
	if s := n["en"]; s != "" {
		return s
	}
	keys := slices.Sorted(maps.Keys(n))
	if len(keys) == 0 {
		return ""
	}
	return n[keys[0]]
}
