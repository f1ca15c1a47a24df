package web

import (
	"net/http"
	"slices"
	"testing"

	"github.com/communique/communique/taxonomy"
)

func TestTaxonomyAPI(t *testing.T) {
	b := setup(t)
	var reg taxonomy.Region
	status := b.api("POST", "/api/v1/regions", `{"slug": "sahel", "names": {"en": "Sahel", "fr": "Sahel"},
		"countries": ["ML", "NE", "TD", "BF", "MR"]}`, &reg)
	if status != http.StatusCreated || reg.Slug != "sahel" || reg.Builtin || !slices.Equal(reg.Countries, []string{"BF", "ML", "MR", "NE", "TD"}) {
		t.Fatalf("create region: %d %+v", status, reg)
	}
	var e errorAnswer
	if status := b.api("POST", "/api/v1/regions", `{"slug": "sahel", "names": {"en": "Sahel"}, "countries": ["ML"]}`, &e); status != http.StatusConflict {
		t.Errorf("duplicate region: %d %+v", status, e)
	}
	e = errorAnswer{}
	if status := b.api("POST", "/api/v1/regions", `{"slug": "x", "names": {"en": "X"}, "countries": ["FR"], "m49": "999"}`, &e); status != 422 ||
		e.Details[0] != `unknown field "m49"` {
		t.Errorf("an M49 code for a custom region: %d %+v", status, e)
	}
	e = errorAnswer{}
	b.api("POST", "/api/v1/regions", `{"slug": "x", "parent": "atlantis", "names": {"en": "X"}, "countries": ["FR", "XX"]}`, &e)
	if !slices.Equal(e.Details, []string{`country "XX" is unknown`}) {
		t.Errorf("unknown country: %+v", e)
	}
	var regions map[string][]taxonomy.Region
	b.api("GET", "/api/v1/regions", "", &regions)
	if rs := regions["regions"]; len(rs) != 31 || rs[0].Slug != "africa" || rs[0].Names["ar"] != "أفريقيا" || rs[30].Slug != "sahel" {
		t.Errorf("regions: %d", len(rs))
	}

	var topic taxonomy.Topic
	if status := b.api("POST", "/api/v1/topics", `{"slug": "labour-migration", "names": {"en": "Labour migration", "es": "Migración laboral"}}`, &topic); status != http.StatusCreated ||
		topic.Names["es"] != "Migración laboral" {
		t.Errorf("create topic: %d %+v", status, topic)
	}
	e = errorAnswer{}
	if status := b.api("POST", "/api/v1/topics", `{"slug": "Bad Slug", "names": {}}`, &e); status != 422 || len(e.Details) != 2 {
		t.Errorf("invalid topic: %d %+v", status, e)
	}
	var topics map[string][]taxonomy.Topic
	b.api("GET", "/api/v1/topics", "", &topics)
	if ts := topics["topics"]; len(ts) != 3 || ts[1].Slug != "labour-migration" {
		t.Errorf("topics: %+v", ts)
	}
}
