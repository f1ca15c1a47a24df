package taxonomy

import (
	"slices"
	"sync"

	"golang.org/x/text/language"
)

// m49Region is a built-in region: its names are the official English and
// French names of the UN M49 standard, which differ from CLDR's in places
// ("South-eastern Asia", not "Southeast Asia").
type m49Region struct {
	slug, parent, code, en, fr string
}

// m49Regions lists regions, sub-regions and intermediate regions, parents
// before children. World (001) is left out: a release for everyone names no
// region.
var m49Regions = []m49Region{
	{"africa", "", "002", "Africa", "Afrique"},
	{"northern-africa", "africa", "015", "Northern Africa", "Afrique septentrionale"},
	{"sub-saharan-africa", "africa", "202", "Sub-Saharan Africa", "Afrique subsaharienne"},
	{"eastern-africa", "sub-saharan-africa", "014", "Eastern Africa", "Afrique orientale"},
	{"middle-africa", "sub-saharan-africa", "017", "Middle Africa", "Afrique centrale"},
	{"southern-africa", "sub-saharan-africa", "018", "Southern Africa", "Afrique australe"},
	{"western-africa", "sub-saharan-africa", "011", "Western Africa", "Afrique occidentale"},

	{"americas", "", "019", "Americas", "Amériques"},
	{"latin-america-and-the-caribbean", "americas", "419", "Latin America and the Caribbean", "Amérique latine et Caraïbes"},
	{"caribbean", "latin-america-and-the-caribbean", "029", "Caribbean", "Caraïbes"},
	{"central-america", "latin-america-and-the-caribbean", "013", "Central America", "Amérique centrale"},
	{"south-america", "latin-america-and-the-caribbean", "005", "South America", "Amérique du Sud"},
	{"northern-america", "americas", "021", "Northern America", "Amérique septentrionale"},

	{"asia", "", "142", "Asia", "Asie"},
	{"central-asia", "asia", "143", "Central Asia", "Asie centrale"},
	{"eastern-asia", "asia", "030", "Eastern Asia", "Asie orientale"},
	{"south-eastern-asia", "asia", "035", "South-eastern Asia", "Asie du Sud-Est"},
	{"southern-asia", "asia", "034", "Southern Asia", "Asie méridionale"},
	{"western-asia", "asia", "145", "Western Asia", "Asie occidentale"},

	{"europe", "", "150", "Europe", "Europe"},
	{"eastern-europe", "europe", "151", "Eastern Europe", "Europe orientale"},
	{"northern-europe", "europe", "154", "Northern Europe", "Europe septentrionale"},
	{"channel-islands", "northern-europe", "830", "Channel Islands", "Îles Anglo-Normandes"},
	{"southern-europe", "europe", "039", "Southern Europe", "Europe méridionale"},
	{"western-europe", "europe", "155", "Western Europe", "Europe occidentale"},

	{"oceania", "", "009", "Oceania", "Océanie"},
	{"australia-and-new-zealand", "oceania", "053", "Australia and New Zealand", "Australie et Nouvelle-Zélande"},
	{"melanesia", "oceania", "054", "Melanesia", "Mélanésie"},
	{"micronesia", "oceania", "057", "Micronesia", "Micronésie"},
	{"polynesia", "oceania", "061", "Polynesia", "Polynésie"},
}

// m49Corrections gives the M49 code of the innermost built-in region of the
// countries CLDR places differently (or, for Channel Islands, does not know):
// CLDR files the islands below under "Outlying Oceania", which M49 does not
// have. An empty code means the country is in no region (Antarctica).
// Taiwan is absent from M49; CLDR's Eastern Asia is kept for it so a
// subscriber to that region hears about it.
var m49Corrections = map[string]string{
	"AQ": "",
	"BV": "005", "GS": "005",
	"CC": "053", "CX": "053", "HM": "053",
	"IO": "014", "TF": "014",
	"UM": "057",
	"GG": "830", "JE": "830",
}

// builtinRegions returns the M49 regions with their countries.
var builtinRegions = sync.OnceValue(func() []Region {
	bySlug := make(map[string]*Region, len(m49Regions))
	byCode := make(map[string]string, len(m49Regions))
	depth := make(map[string]int, len(m49Regions))
	regions := make([]Region, len(m49Regions))
	for i, m := range m49Regions {
		regions[i] = Region{Slug: m.slug, Parent: m.parent, M49: m.code, Builtin: true,
			Names: Names{"en": m.en, "fr": m.fr}}
		bySlug[m.slug] = &regions[i]
		byCode[m.code] = m.slug
		if m.parent != "" {
			depth[m.slug] = depth[m.parent] + 1
		}
	}
	for _, country := range Countries() {
		leaf, ok := m49Corrections[country]
		if ok {
			leaf = byCode[leaf]
		} else {
			leaf = innermost(country, depth)
		}
		for slug := leaf; slug != ""; slug = bySlug[slug].Parent {
			bySlug[slug].Countries = append(bySlug[slug].Countries, country)
		}
	}
	for i := range regions {
		slices.Sort(regions[i].Countries)
	}
	return regions
})

// innermost returns the slug of the deepest built-in region that CLDR's
// containment data puts country in, or "".
func innermost(country string, depth map[string]int) string {
	c := language.MustParseRegion(country)
	best := ""
	for _, m := range m49Regions {
		g, err := language.ParseRegion(m.code)
		if err != nil || !g.Contains(c) {
			continue // CLDR lacks some M49 groups; m49Corrections covers them
		}
		if best == "" || depth[m.slug] > depth[best] {
			best = m.slug
		}
	}
	return best
}

// Builtin returns the built-in UN M49 regions, parents before children,
// each with all its countries.
func Builtin() []Region {
	src := builtinRegions()
	out := make([]Region, len(src))
	for i, r := range src {
		r.Names = Names{"en": r.Names["en"], "fr": r.Names["fr"]}
		r.Countries = slices.Clone(r.Countries)
		out[i] = r
	}
	return out
}
