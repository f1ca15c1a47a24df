package taxonomy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

func setup(t *testing.T) (context.Context, *sqlx.DB) {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return ctx, db
}

func regionsOf(t *testing.T, db *sqlx.DB, country string) []string {
	t.Helper()
	var slugs []string
	if err := db.Select(&slugs, `SELECT region_slug FROM region_countries WHERE country = $1 ORDER BY region_slug`, country); err != nil {
		t.Fatal(err)
	}
	return slugs
}

func TestSeed(t *testing.T) {
	ctx, db := setup(t)
	count := func() (regions, members int) {
		t.Helper()
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM regions WHERE builtin), (SELECT count(*) FROM region_countries)`).Scan(&regions, &members); err != nil {
			t.Fatal(err)
		}
		return regions, members
	}
	r1, m1 := count()
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if r2, m2 := count(); r1 != 30 || r2 != r1 || m2 != m1 {
		t.Fatalf("after seeding twice: %d regions, %d memberships; first time %d, %d", r2, m2, r1, m1)
	}

	for country, want := range map[string][]string{
		"MR": {"africa", "sub-saharan-africa", "western-africa"},
		"SD": {"africa", "northern-africa"},
		"BR": {"americas", "latin-america-and-the-caribbean", "south-america"},
		"MX": {"americas", "central-america", "latin-america-and-the-caribbean"},
		"US": {"americas", "northern-america"},
		"JP": {"asia", "eastern-asia"},
		"GG": {"channel-islands", "europe", "northern-europe"},
		"AU": {"australia-and-new-zealand", "oceania"},
		"AQ": nil,
	} {
		if got := regionsOf(t, db, country); !slices.Equal(got, want) {
			t.Errorf("%s is in %v, want %v", country, got, want)
		}
	}

	var parent, m49, fr string
	if err := db.QueryRow(`SELECT parent_slug, m49, names->>'fr' FROM regions WHERE slug = 'western-africa'`).Scan(&parent, &m49, &fr); err != nil {
		t.Fatal(err)
	}
	if parent != "sub-saharan-africa" || m49 != "011" || fr != "Afrique occidentale" {
		t.Errorf("western-africa: parent %q, m49 %q, fr %q", parent, m49, fr)
	}
}

func TestSeedRepairsAndKeepsCustom(t *testing.T) {
	ctx, db := setup(t)
	if err := taxonomy.CreateRegion(ctx, db, taxonomy.Region{Slug: "sahel", Names: taxonomy.Names{"en": "Sahel"},
		Countries: []string{"ML", "NE", "TD", "BF", "MR"}}); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `DELETE FROM region_countries WHERE region_slug = 'western-africa' AND country = 'MR'`)
	pgtest.Exec(t, db, `INSERT INTO region_countries VALUES ('western-africa', 'FR')`)
	pgtest.Exec(t, db, `UPDATE regions SET names = '{"en": "Old"}' WHERE slug = 'africa'`)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if got := regionsOf(t, db, "MR"); !slices.Equal(got, []string{"africa", "sahel", "sub-saharan-africa", "western-africa"}) {
		t.Errorf("MR is in %v", got)
	}
	if got := regionsOf(t, db, "FR"); !slices.Equal(got, []string{"europe", "western-europe"}) {
		t.Errorf("FR is in %v", got)
	}
	var name string
	if err := db.Get(&name, `SELECT names->>'en' FROM regions WHERE slug = 'africa'`); err != nil || name != "Africa" {
		t.Errorf("africa is named %q, %v", name, err)
	}
}

func TestValidate(t *testing.T) {
	ctx, db := setup(t)
	if err := taxonomy.CreateTopic(ctx, db, taxonomy.Topic{Slug: "migration-governance", Names: taxonomy.Names{"en": "Migration governance"}}); err != nil {
		t.Fatal(err)
	}
	if err := taxonomy.Validate(ctx, db, []string{"western-africa", "africa"}, []string{"MR"}, []string{"migration-governance"}); err != nil {
		t.Fatalf("valid audience: %v", err)
	}
	if err := taxonomy.Validate(ctx, db, nil, nil, nil); err != nil {
		t.Fatalf("empty audience: %v", err)
	}

	err := taxonomy.Validate(ctx, db,
		[]string{"atlantis", "africa", "mu", "atlantis"},
		[]string{"XX", "MR", "mr"},
		[]string{"foo", "migration-governance"})
	if communique.ErrorCode(err) != communique.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	want := []string{
		`region "atlantis" is unknown`,
		`region "mu" is unknown`,
		`country "XX" is unknown`,
		`country "mr" is unknown`,
		`topic "foo" is unknown`,
	}
	if got := communique.ErrorDetails(err); !slices.Equal(got, want) {
		t.Errorf("details:\n got %q\nwant %q", got, want)
	}

	checker, err := taxonomy.LoadChecker(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !checker.Region("sub-saharan-africa") || checker.Region("atlantis") || !checker.Topic("migration-governance") {
		t.Error("checker answers wrongly")
	}
	if got := checker.Problems([]string{"atlantis"}, []string{"XX"}, []string{"foo"}); !slices.Equal(got, []string{want[0], want[2], want[4]}) {
		t.Errorf("checker problems %q", got)
	}
}

func TestCreateRegion(t *testing.T) {
	ctx, db := setup(t)
	sahel := taxonomy.Region{Slug: "sahel", Names: taxonomy.Names{"en": "Sahel", "fr-fr": "Sahel"},
		Countries: []string{"ML", "NE", "TD", "BF", "MR", "ML"}}
	if err := taxonomy.CreateRegion(ctx, db, sahel); err != nil {
		t.Fatal(err)
	}
	var countries []string
	if err := db.Select(&countries, `SELECT country FROM region_countries WHERE region_slug = 'sahel' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(countries, []string{"BF", "ML", "MR", "NE", "TD"}) {
		t.Errorf("sahel countries %v", countries)
	}
	var fr string
	if err := db.Get(&fr, `SELECT names->>'fr-FR' FROM regions WHERE slug = 'sahel' AND NOT builtin`); err != nil || fr != "Sahel" {
		t.Errorf("canonical name key: %q, %v", fr, err)
	}

	if err := taxonomy.CreateRegion(ctx, db, sahel); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Errorf("duplicate: %v, want ECONFLICT", err)
	}
	sahel.Slug = "africa"
	if err := taxonomy.CreateRegion(ctx, db, sahel); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Errorf("built-in slug: %v, want ECONFLICT", err)
	}

	err := taxonomy.CreateRegion(ctx, db, taxonomy.Region{Slug: "Bad Slug", Names: taxonomy.Names{"zz-!": "x", "en": ""},
		Countries: []string{"XX"}})
	want := []string{
		`slug "Bad Slug" must be lower-case letters and digits separated by single hyphens`,
		`names: the "en" name is empty`,
		`names: "zz-!" is not a BCP 47 language tag`,
		`country "XX" is unknown`,
	}
	if got := communique.ErrorDetails(err); communique.ErrorCode(err) != communique.EINVALID || !slices.Equal(got, want) {
		t.Errorf("invalid region: %v\n got %q\nwant %q", err, got, want)
	}
	err = taxonomy.CreateRegion(ctx, db, taxonomy.Region{Slug: "x", Parent: "nowhere", Names: taxonomy.Names{"en": "X"}, Countries: []string{"FR"}})
	if got := communique.ErrorDetails(err); !slices.Equal(got, []string{`parent region "nowhere" is unknown`}) {
		t.Errorf("unknown parent: %v", err)
	}
	if err := taxonomy.CreateRegion(ctx, db, taxonomy.Region{Slug: "empty", Names: taxonomy.Names{"en": "E"}}); communique.ErrorCode(err) != communique.EINVALID {
		t.Errorf("no countries: %v", err)
	}

	regions, err := taxonomy.Regions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 31 || regions[0].Slug != "africa" || regions[30].Slug != "sahel" || len(regions[30].Countries) != 5 {
		t.Errorf("Regions: %d, first %s, last %s", len(regions), regions[0].Slug, regions[len(regions)-1].Slug)
	}
}

func TestCreateTopic(t *testing.T) {
	ctx, db := setup(t)
	topic := taxonomy.Topic{Slug: "climate-mobility", Names: taxonomy.Names{"en": "Climate mobility", "fr": "Mobilité climatique"}}
	if err := taxonomy.CreateTopic(ctx, db, topic); err != nil {
		t.Fatal(err)
	}
	if err := taxonomy.CreateTopic(ctx, db, topic); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Errorf("duplicate: %v, want ECONFLICT", err)
	}
	if err := taxonomy.CreateTopic(ctx, db, taxonomy.Topic{Slug: "-x"}); communique.ErrorCode(err) != communique.EINVALID ||
		len(communique.ErrorDetails(err)) != 2 {
		t.Errorf("invalid topic: %v", err)
	}
	topics, err := taxonomy.Topics(ctx, db)
	if err != nil || len(topics) != 1 || topics[0].Names["fr"] != "Mobilité climatique" {
		t.Errorf("Topics = %+v, %v", topics, err)
	}
}
