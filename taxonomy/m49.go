package taxonomy

import (
	"maps"
	"slices"
	"sync"

	"golang.org/x/text/language"
)

// m49Region is a built-in region: its names are those the UN M49 standard
// uses in English, French, Spanish and Arabic, which differ from CLDR's in
// places ("South-eastern Asia", not "Southeast Asia"), so that the public
// pages name regions as the organisation's own documents do.
type m49Region struct {
	slug, parent, code, en, fr, es, ar string
}

// m49Regions lists regions, sub-regions and intermediate regions, parents
// before children. World (001) is left out: a release for everyone names no
// region.
var m49Regions = []m49Region{
	{"africa", "", "002", "Africa", "Afrique", "África", "أفريقيا"},
	{"northern-africa", "africa", "015", "Northern Africa", "Afrique septentrionale", "África septentrional", "شمال أفريقيا"},
	{"sub-saharan-africa", "africa", "202", "Sub-Saharan Africa", "Afrique subsaharienne", "África subsahariana", "أفريقيا جنوب الصحراء الكبرى"},
	{"eastern-africa", "sub-saharan-africa", "014", "Eastern Africa", "Afrique orientale", "África oriental", "شرق أفريقيا"},
	{"middle-africa", "sub-saharan-africa", "017", "Middle Africa", "Afrique centrale", "África central", "وسط أفريقيا"},
	{"southern-africa", "sub-saharan-africa", "018", "Southern Africa", "Afrique australe", "África meridional", "الجنوب الأفريقي"},
	{"western-africa", "sub-saharan-africa", "011", "Western Africa", "Afrique occidentale", "África occidental", "غرب أفريقيا"},

	{"americas", "", "019", "Americas", "Amériques", "Américas", "الأمريكتان"},
	{"latin-america-and-the-caribbean", "americas", "419", "Latin America and the Caribbean", "Amérique latine et Caraïbes", "América Latina y el Caribe", "أمريكا اللاتينية ومنطقة البحر الكاريبي"},
	{"caribbean", "latin-america-and-the-caribbean", "029", "Caribbean", "Caraïbes", "Caribe", "منطقة البحر الكاريبي"},
	{"central-america", "latin-america-and-the-caribbean", "013", "Central America", "Amérique centrale", "Centroamérica", "أمريكا الوسطى"},
	{"south-america", "latin-america-and-the-caribbean", "005", "South America", "Amérique du Sud", "América del Sur", "أمريكا الجنوبية"},
	{"northern-america", "americas", "021", "Northern America", "Amérique septentrionale", "América septentrional", "أمريكا الشمالية"},

	{"asia", "", "142", "Asia", "Asie", "Asia", "آسيا"},
	{"central-asia", "asia", "143", "Central Asia", "Asie centrale", "Asia central", "آسيا الوسطى"},
	{"eastern-asia", "asia", "030", "Eastern Asia", "Asie orientale", "Asia oriental", "شرق آسيا"},
	{"south-eastern-asia", "asia", "035", "South-eastern Asia", "Asie du Sud-Est", "Asia sudoriental", "جنوب شرق آسيا"},
	{"southern-asia", "asia", "034", "Southern Asia", "Asie méridionale", "Asia meridional", "جنوب آسيا"},
	{"western-asia", "asia", "145", "Western Asia", "Asie occidentale", "Asia occidental", "غرب آسيا"},

	{"europe", "", "150", "Europe", "Europe", "Europa", "أوروبا"},
	{"eastern-europe", "europe", "151", "Eastern Europe", "Europe orientale", "Europa oriental", "أوروبا الشرقية"},
	{"northern-europe", "europe", "154", "Northern Europe", "Europe septentrionale", "Europa septentrional", "أوروبا الشمالية"},
	{"channel-islands", "northern-europe", "830", "Channel Islands", "Îles Anglo-Normandes", "Islas del Canal", "جزر القنال"},
	{"southern-europe", "europe", "039", "Southern Europe", "Europe méridionale", "Europa meridional", "أوروبا الجنوبية"},
	{"western-europe", "europe", "155", "Western Europe", "Europe occidentale", "Europa occidental", "أوروبا الغربية"},

	{"oceania", "", "009", "Oceania", "Océanie", "Oceanía", "أوقيانوسيا"},
	{"australia-and-new-zealand", "oceania", "053", "Australia and New Zealand", "Australie et Nouvelle-Zélande", "Australia y Nueva Zelandia", "أستراليا ونيوزيلندا"},
	{"melanesia", "oceania", "054", "Melanesia", "Mélanésie", "Melanesia", "ميلانيزيا"},
	{"micronesia", "oceania", "057", "Micronesia", "Micronésie", "Micronesia", "ميكرونيزيا"},
	{"polynesia", "oceania", "061", "Polynesia", "Polynésie", "Polinesia", "بولينيزيا"},
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
			Names: Names{"en": m.en, "fr": m.fr, "es": m.es, "ar": m.ar}}
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
		r.Names = maps.Clone(r.Names)
		r.Countries = slices.Clone(r.Countries)
		out[i] = r
	}
	return out
}
