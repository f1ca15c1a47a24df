package taxonomy

import (
	"slices"
	"strings"
	"testing"
)

// m49Leaves is the UN M49 composition of the innermost regions, typed from
// the standard independently of CLDR so that the derivation is checked.
// Taiwan is the one addition (see m49Corrections).
var m49Leaves = map[string]string{
	"northern-africa":           "DZ EG EH LY MA SD TN",
	"eastern-africa":            "BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW",
	"middle-africa":             "AO CD CF CG CM GA GQ ST TD",
	"southern-africa":           "BW LS NA SZ ZA",
	"western-africa":            "BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG",
	"caribbean":                 "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI",
	"central-america":           "BZ CR GT HN MX NI PA SV",
	"south-america":             "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE",
	"northern-america":          "BM CA GL PM US",
	"central-asia":              "KG KZ TJ TM UZ",
	"eastern-asia":              "CN HK JP KP KR MN MO TW",
	"south-eastern-asia":        "BN ID KH LA MM MY PH SG TH TL VN",
	"southern-asia":             "AF BD BT IN IR LK MV NP PK",
	"western-asia":              "AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE",
	"eastern-europe":            "BG BY CZ HU MD PL RO RU SK UA",
	"northern-europe":           "AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ",
	"channel-islands":           "GG JE",
	"southern-europe":           "AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA",
	"western-europe":            "AT BE CH DE FR LI LU MC NL",
	"australia-and-new-zealand": "AU CC CX HM NF NZ",
	"melanesia":                 "FJ NC PG SB VU",
	"micronesia":                "FM GU KI MH MP NR PW UM",
	"polynesia":                 "AS CK NU PF PN TK TO TV WF WS",
}

func TestBuiltinMatchesM49(t *testing.T) {
	regions := Builtin()
	bySlug := map[string]Region{}
	for _, r := range regions {
		bySlug[r.Slug] = r
	}
	if len(regions) != 30 {
		t.Errorf("%d built-in regions, want 30", len(regions))
	}
	for slug, want := range m49Leaves {
		got := strings.Join(bySlug[slug].Countries, " ")
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", slug, got, want)
		}
	}
	// Every parent holds exactly the union of its children, and parents
	// come first so that Seed may insert in order.
	children := map[string][]string{}
	for i, r := range regions {
		if s := checkSlug(r.Slug); s != "" {
			t.Error(s)
		}
		if r.Parent != "" {
			if !slices.ContainsFunc(regions[:i], func(p Region) bool { return p.Slug == r.Parent }) {
				t.Errorf("%s comes before its parent %s", r.Slug, r.Parent)
			}
			children[r.Parent] = append(children[r.Parent], r.Countries...)
		}
	}
	for parent, union := range children {
		if parent == "northern-europe" {
			continue // Channel Islands is a part of it, not a partition
		}
		slices.Sort(union)
		if !slices.Equal(union, bySlug[parent].Countries) {
			t.Errorf("%s = %v, its sub-regions hold %v", parent, bySlug[parent].Countries, union)
		}
	}
	// Each country except Antarctica lies in exactly one continent.
	seen := map[string]string{}
	for _, r := range regions {
		if r.Parent != "" {
			continue
		}
		for _, c := range r.Countries {
			if prev, dup := seen[c]; dup {
				t.Errorf("%s is in %s and %s", c, prev, r.Slug)
			}
			seen[c] = r.Slug
		}
	}
	for _, c := range Countries() {
		if _, ok := seen[c]; ok == (c == "AQ") {
			t.Errorf("country %s: in a region = %v", c, ok)
		}
	}
}

func TestCountries(t *testing.T) {
	cs := Countries()
	if len(cs) != 249 || !slices.IsSorted(cs) {
		t.Fatalf("%d countries (sorted %v), want 249 sorted", len(cs), slices.IsSorted(cs))
	}
	for _, c := range []string{"MR", "SS", "BQ", "CW", "SX", "TW", "AQ"} {
		if !IsCountry(c) {
			t.Errorf("IsCountry(%q) = false", c)
		}
	}
	for _, c := range []string{"", "mr", "XK", "AN", "UK", "EU", "419", "ZZ", "MRT"} {
		if IsCountry(c) {
			t.Errorf("IsCountry(%q) = true", c)
		}
	}
}

func TestCountryName(t *testing.T) {
	for _, tc := range []struct{ code, lang, want string }{
		{"MR", "en", "Mauritania"},
		{"MR", "fr", "Mauritanie"},
		{"MR", "fr-CH", "Mauritanie"},
		{"MR", "es", "Mauritania"},
		{"DE", "ar", "ألمانيا"},
		{"DE", "not a tag", "Germany"},
		{"XK", "en", ""},
	} {
		if got := CountryName(tc.code, tc.lang); got != tc.want {
			t.Errorf("CountryName(%q, %q) = %q, want %q", tc.code, tc.lang, got, tc.want)
		}
	}
}

func TestNamesIn(t *testing.T) {
	n := Names{"en": "Western Africa", "fr": "Afrique occidentale", "es-419": "África occidental"}
	for lang, want := range map[string]string{
		"fr": "Afrique occidentale", "fr-CH": "Afrique occidentale", "es-419": "África occidental",
		"ar": "Western Africa", "not a tag": "Western Africa",
	} {
		if got := n.In(lang); got != want {
			t.Errorf("In(%q) = %q, want %q", lang, got, want)
		}
	}
	if got := (Names{"fr": "Sahel"}).In("en"); got != "Sahel" {
		t.Errorf("without English: %q", got)
	}
	for _, r := range Builtin() {
		for _, lang := range []string{"en", "fr", "es", "ar"} {
			if r.Names[lang] == "" {
				t.Errorf("%s has no %s name", r.Slug, lang)
			}
		}
	}
}
