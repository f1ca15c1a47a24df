package web

import (
	"context"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/communique/communique/taxonomy"
)

// selection is what a subscriber chose on the subscribe or preferences
// form, as submitted or as stored.
type selection struct {
	Email, Name, Organisation  string
	Regions, Countries, Topics []string
	// Languages are in order of preference, without repeats.
	Languages []string
	Timezone  string
}

// offeredLanguages are the languages the forms list, the page languages
// first; a subscriber's stored languages are added to them.
var offeredLanguages = []string{"en", "fr", "es", "ar", "pt", "ru", "zh"}

// formView is the subscription form's options in one language, with the
// selection's ticked.
type formView struct {
	Regions         []regionOption
	CountryGroups   []countryGroup
	Topics          []option
	LanguageSelects []languageSelect
	Zones           []zoneGroup
	Selection       selection
}

type option struct {
	Value, Label string
	Checked      bool
}

type regionOption struct {
	option
	// Depth is how far down the region tree the region lies, for indenting.
	Depth int
}

type countryGroup struct {
	Label     string
	Countries []option
	// Ticked counts the chosen countries; a group with some is shown open.
	Ticked int
}

type languageSelect struct {
	Name, LabelKey string
	Optional       bool
	Options        []option
}

type zoneGroup struct {
	Label string
	Zones []option
}

// newFormView builds the form's options from the stored taxonomy.
func (p *public) newFormView(ctx context.Context, lang string, sel selection) (*formView, error) {
	regions, err := taxonomy.Regions(ctx, p.h.DB)
	if err != nil {
		return nil, err
	}
	topics, err := taxonomy.Topics(ctx, p.h.DB)
	if err != nil {
		return nil, err
	}
	coll := collate.New(language.Make(lang))
	v := &formView{Selection: sel}

	depth := map[string]int{}
	for _, r := range regions {
		if r.Parent != "" {
			depth[r.Slug] = depth[r.Parent] + 1
		}
		v.Regions = append(v.Regions, regionOption{
			option: option{Value: r.Slug, Label: r.Names.In(lang), Checked: slices.Contains(sel.Regions, r.Slug)},
			Depth:  min(depth[r.Slug], 3)})
	}

	v.CountryGroups = countryGroups(lang, coll, sel.Countries)

	for _, t := range topics {
		v.Topics = append(v.Topics, option{Value: t.Slug, Label: t.Names.In(lang), Checked: slices.Contains(sel.Topics, t.Slug)})
	}
	slices.SortStableFunc(v.Topics, func(a, b option) int { return coll.CompareString(a.Label, b.Label) })

	langs := slices.Clone(offeredLanguages)
	for _, l := range sel.Languages {
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	for i, key := range []string{"lang_1", "lang_2", "lang_3"} {
		chosen := ""
		if i < len(sel.Languages) {
			chosen = sel.Languages[i]
		} else if i == 0 {
			chosen = lang
		}
		ls := languageSelect{Name: "lang" + string(rune('1'+i)), LabelKey: key, Optional: i > 0}
		for _, l := range langs {
			ls.Options = append(ls.Options, option{Value: l, Label: languageName(l), Checked: l == chosen})
		}
		v.LanguageSelects = append(v.LanguageSelects, ls)
	}

	v.Zones = zoneGroups(sel.Timezone)
	return v, nil
}

// countryGroups lists the countries under their continent, by name in
// lang; the countries in no continent (Antarctica) come last.
func countryGroups(lang string, coll *collate.Collator, chosen []string) []countryGroup {
	var groups []countryGroup
	seen := map[string]bool{}
	add := func(label string, codes []string) {
		g := countryGroup{Label: label}
		for _, c := range codes {
			seen[c] = true
			o := option{Value: c, Label: taxonomy.CountryName(c, lang), Checked: slices.Contains(chosen, c)}
			if o.Checked {
				g.Ticked++
			}
			g.Countries = append(g.Countries, o)
		}
		slices.SortFunc(g.Countries, func(a, b option) int { return coll.CompareString(a.Label, b.Label) })
		groups = append(groups, g)
	}
	for _, r := range taxonomy.Builtin() {
		if r.Parent == "" {
			add(r.Names.In(lang), r.Countries)
		}
	}
	var rest []string
	for _, c := range taxonomy.Countries() {
		if !seen[c] {
			rest = append(rest, c)
		}
	}
	if len(rest) > 0 {
		add(translate(lang, "other_countries"), rest)
	}
	return groups
}

// languageName is a language's name in itself ("Français", "العربية").
func languageName(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	name := display.Self.Name(t)
	if name == "" {
		return tag
	}
	return cases.Title(t).String(name)
}

// zoneList is the embedded list of time zones offered.
var zoneList = sync.OnceValue(func() []string {
	b, err := pagesFS.ReadFile("pages/timezones.txt")
	if err != nil {
		panic(err) // embedded: cannot happen in a binary that built
	}
	var zones []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			zones = append(zones, line)
		}
	}
	return zones
})

// zoneGroups lists the time zones by area ("Africa", "America", …), with
// chosen selected, and chosen added when the list lacks it.
func zoneGroups(chosen string) []zoneGroup {
	if chosen == "" {
		chosen = "UTC"
	}
	zones := zoneList()
	if !slices.Contains(zones, chosen) {
		zones = append(slices.Clone(zones), chosen)
		slices.Sort(zones)
	}
	var groups []zoneGroup
	for _, z := range zones {
		area, city, ok := strings.Cut(z, "/")
		if !ok {
			area, city = z, z
		}
		if len(groups) == 0 || groups[len(groups)-1].Label != area {
			groups = append(groups, zoneGroup{Label: area})
		}
		g := &groups[len(groups)-1]
		g.Zones = append(g.Zones, option{Value: z, Label: strings.ReplaceAll(city, "_", " "), Checked: z == chosen})
	}
	return groups
}
