package taxonomy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Document is what an administrator moves from one installation to
// another: the custom regions and the topics, which contacts and releases
// name. The built-in regions are every installation's already.
type Document struct {
	Regions []Region `json:"regions"`
	Topics  []Topic  `json:"topics"`
}

// Export returns the custom regions and every topic, by slug.
func Export(ctx context.Context, q sqlx.QueryerContext) (*Document, error) {
	regions, err := Regions(ctx, q)
	if err != nil {
		return nil, err
	}
	doc := &Document{Regions: []Region{}}
	for _, r := range regions {
		if !r.Builtin {
			doc.Regions = append(doc.Regions, r)
		}
	}
	if doc.Topics, err = Topics(ctx, q); err != nil {
		return nil, err
	}
	if doc.Topics == nil {
		doc.Topics = []Topic{}
	}
	return doc, nil
}

// ReadDocument decodes a Document, refusing unknown fields.
func ReadDocument(r io.Reader) (*Document, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, communique.Invalid("invalid taxonomy file", []string{"file: " + err.Error()})
	}
	return &doc, nil
}

// ImportResult counts what Import did.
type ImportResult struct {
	Regions   int `json:"regions_created"`
	Topics    int `json:"topics_created"`
	Unchanged int `json:"unchanged"`
}

// Import stores the regions and topics of doc in one transaction. An entry
// that exists as it is in doc is left alone, so importing the same file
// twice changes nothing; one whose slug is taken by a different entry (or
// by a built-in region) is an ECONFLICT error naming the slug, and a bad
// entry an EINVALID one; either way nothing is written.
func Import(ctx context.Context, db *sqlx.DB, doc *Document) (*ImportResult, error) {
	var invalid []string
	regions := make([]Region, len(doc.Regions))
	for i, r := range doc.Regions {
		r, p := checkRegion(r)
		regions[i] = r
		for _, x := range p {
			invalid = append(invalid, fmt.Sprintf("regions[%d] %q: %s", i, r.Slug, x))
		}
	}
	topics := make([]Topic, len(doc.Topics))
	for i, t := range doc.Topics {
		names, p := normalizeNames(t.Names)
		if s := checkSlug(t.Slug); s != "" {
			p = append([]string{s}, p...)
		}
		topics[i] = Topic{Slug: t.Slug, Names: names}
		for _, x := range p {
			invalid = append(invalid, fmt.Sprintf("topics[%d] %q: %s", i, t.Slug, x))
		}
	}
	if err := communique.Invalid("invalid taxonomy file", invalid); err != nil {
		return nil, err
	}
	res := &ImportResult{}
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		stored, err := Regions(ctx, tx)
		if err != nil {
			return err
		}
		have := map[string]Region{}
		for _, r := range stored {
			have[r.Slug] = r
		}
		var conflicts []string
		var newRegions []Region
		for _, r := range regions {
			old, ok := have[r.Slug]
			switch {
			case !ok:
				newRegions = append(newRegions, r)
				have[r.Slug] = r
			case old.Builtin:
				conflicts = append(conflicts, fmt.Sprintf("region %q: is a built-in region", r.Slug))
			case old.Parent != r.Parent || !maps.Equal(old.Names, r.Names) || !slices.Equal(old.Countries, r.Countries):
				conflicts = append(conflicts, fmt.Sprintf("region %q: exists with other %s", r.Slug, regionDiff(old, r)))
			default:
				res.Unchanged++
			}
		}
		for _, r := range newRegions {
			if _, ok := have[r.Parent]; r.Parent != "" && !ok {
				conflicts = append(conflicts, fmt.Sprintf("region %q: parent region %q is unknown", r.Slug, r.Parent))
			}
		}
		storedTopics, err := Topics(ctx, tx)
		if err != nil {
			return err
		}
		haveTopic := map[string]Topic{}
		for _, t := range storedTopics {
			haveTopic[t.Slug] = t
		}
		var newTopics []Topic
		for _, t := range topics {
			old, ok := haveTopic[t.Slug]
			switch {
			case !ok:
				newTopics = append(newTopics, t)
				haveTopic[t.Slug] = t
			case !maps.Equal(old.Names, t.Names):
				conflicts = append(conflicts, fmt.Sprintf("topic %q: exists with other names", t.Slug))
			default:
				res.Unchanged++
			}
		}
		if len(conflicts) > 0 {
			return &communique.Error{Code: communique.ECONFLICT, Message: "the taxonomy file conflicts with the stored one; nothing was imported", Details: conflicts}
		}
		if err := insertRegions(ctx, tx, newRegions); err != nil {
			return err
		}
		for _, t := range newTopics {
			if _, err := tx.ExecContext(ctx, `INSERT INTO topics (slug, names) VALUES ($1, $2)`, t.Slug, t.Names); err != nil {
				return fmt.Errorf("import topic %s: %w", t.Slug, err)
			}
		}
		res.Regions, res.Topics = len(newRegions), len(newTopics)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkRegion canonicalizes a custom region of an import and returns its
// problems.
func checkRegion(r Region) (Region, []string) {
	var p []string
	if s := checkSlug(r.Slug); s != "" {
		p = append(p, s)
	}
	if r.Builtin {
		p = append(p, "built-in regions are every installation's already; export only custom ones")
	}
	names, np := normalizeNames(r.Names)
	p = append(p, np...)
	if len(r.Countries) == 0 {
		p = append(p, "countries: a region needs at least one country")
	}
	p = append(p, countryProblems(r.Countries)...)
	if r.Parent != "" {
		if s := checkSlug(r.Parent); s != "" {
			p = append(p, "parent "+s)
		}
	}
	countries := slices.Clone(r.Countries)
	slices.Sort(countries)
	return Region{Slug: r.Slug, Parent: r.Parent, Names: names, Countries: slices.Compact(countries)}, p
}

func regionDiff(old, r Region) string {
	var d []string
	if old.Parent != r.Parent {
		d = append(d, "parent")
	}
	if !maps.Equal(old.Names, r.Names) {
		d = append(d, "names")
	}
	if !slices.Equal(old.Countries, r.Countries) {
		d = append(d, "countries")
	}
	switch len(d) {
	case 1:
		return d[0]
	case 2:
		return d[0] + " and " + d[1]
	}
	return "parent, names and countries"
}

// insertRegions stores new custom regions; parents are set once all
// exist, so a file may list a region before its parent.
func insertRegions(ctx context.Context, tx *sqlx.Tx, regions []Region) error {
	for _, r := range regions {
		if _, err := tx.ExecContext(ctx, `INSERT INTO regions (slug, names, builtin) VALUES ($1, $2, false)`, r.Slug, r.Names); err != nil {
			return fmt.Errorf("import region %s: %w", r.Slug, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO region_countries (region_slug, country) SELECT $1, unnest($2::text[])`,
			r.Slug, pq.Array(r.Countries)); err != nil {
			return fmt.Errorf("import countries of region %s: %w", r.Slug, err)
		}
	}
	for _, r := range regions {
		if r.Parent == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE regions SET parent_slug = $2 WHERE slug = $1`, r.Slug, r.Parent); err != nil {
			return fmt.Errorf("import region %s: parent: %w", r.Slug, err)
		}
	}
	return nil
}
