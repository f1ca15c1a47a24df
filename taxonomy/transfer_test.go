package taxonomy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

// An export imports into another installation; importing it again
// changes nothing, and an entry that differs is refused by slug.
func TestExportImport(t *testing.T) {
	ctx, a := setup(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(taxonomy.CreateRegion(ctx, a, taxonomy.Region{Slug: "sahel", Names: taxonomy.Names{"en": "Sahel", "fr": "Sahel"},
		Countries: []string{"TD", "BF", "ML", "MR", "NE"}}))
	must(taxonomy.CreateRegion(ctx, a, taxonomy.Region{Slug: "central-sahel", Parent: "sahel", Names: taxonomy.Names{"en": "Central Sahel"},
		Countries: []string{"BF", "ML", "NE"}}))
	must(taxonomy.CreateTopic(ctx, a, taxonomy.Topic{Slug: "climate-mobility", Names: taxonomy.Names{"en": "Climate and mobility", "fr-ch": "Climat"}}))
	doc, err := taxonomy.Export(ctx, a)
	must(err)
	data, err := json.Marshal(doc)
	must(err)
	if len(doc.Regions) != 2 || len(doc.Topics) != 1 || strings.Contains(string(data), `"africa"`) {
		t.Fatalf("export: %s", data)
	}

	b := pgtest.DB(t)
	must(taxonomy.Seed(ctx, b))
	// Children before parents in the file are fine.
	slices.Reverse(doc.Regions)
	read, err := taxonomy.ReadDocument(strings.NewReader(mustMarshal(t, doc)))
	must(err)
	res, err := taxonomy.Import(ctx, b, read)
	if err != nil || *res != (taxonomy.ImportResult{Regions: 2, Topics: 1}) {
		t.Fatalf("import: %+v, %v", res, err)
	}
	docB, err := taxonomy.Export(ctx, b)
	must(err)
	slices.Reverse(doc.Regions)
	if got, want := mustMarshal(t, docB), string(data); got != want {
		t.Errorf("imported\n%s\nwant\n%s", got, want)
	}
	res, err = taxonomy.Import(ctx, b, read)
	if err != nil || *res != (taxonomy.ImportResult{Unchanged: 3}) {
		t.Errorf("second import: %+v, %v", res, err)
	}

	conflicting := &taxonomy.Document{
		Regions: []taxonomy.Region{
			{Slug: "sahel", Names: taxonomy.Names{"en": "Sahel", "fr": "Sahel"}, Countries: []string{"ML"}},
			{Slug: "africa", Names: taxonomy.Names{"en": "Africa"}, Countries: []string{"ML"}},
			{Slug: "new-one", Names: taxonomy.Names{"en": "New"}, Countries: []string{"ML"}},
		},
		Topics: []taxonomy.Topic{{Slug: "climate-mobility", Names: taxonomy.Names{"en": "Climate"}}},
	}
	_, err = taxonomy.Import(ctx, b, conflicting)
	want := []string{`region "sahel": exists with other countries`, `region "africa": is a built-in region`, `topic "climate-mobility": exists with other names`}
	if communique.ErrorCode(err) != communique.ECONFLICT || !slices.Equal(communique.ErrorDetails(err), want) {
		t.Errorf("conflicts: %v\n%q", err, communique.ErrorDetails(err))
	}
	if _, err := taxonomy.GetRegion(ctx, b, "new-one"); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("a refused file wrote new-one: %v", err)
	}

	invalid := &taxonomy.Document{Regions: []taxonomy.Region{{Slug: "Bad Slug", Names: taxonomy.Names{"en": "x"}, Countries: []string{"ZZ"}},
		{Slug: "orphan", Parent: "nowhere", Names: taxonomy.Names{"en": "x"}, Countries: []string{"FR"}}}}
	_, err = taxonomy.Import(ctx, b, invalid)
	want = []string{`regions[0] "Bad Slug": slug "Bad Slug" must be lower-case letters and digits separated by single hyphens`,
		`regions[0] "Bad Slug": country "ZZ" is unknown`}
	if communique.ErrorCode(err) != communique.EINVALID || !slices.Equal(communique.ErrorDetails(err), want) {
		t.Errorf("invalid: %v\n%q", err, communique.ErrorDetails(err))
	}
	_, err = taxonomy.Import(ctx, b, &taxonomy.Document{Regions: invalid.Regions[1:]})
	if communique.ErrorCode(err) != communique.ECONFLICT || !slices.Equal(communique.ErrorDetails(err), []string{`region "orphan": parent region "nowhere" is unknown`}) {
		t.Errorf("unknown parent: %v", err)
	}
	if _, err := taxonomy.ReadDocument(strings.NewReader(`{"regions": [], "colours": []}`)); communique.ErrorCode(err) != communique.EINVALID {
		t.Errorf("unknown field: %v", err)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
