package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// Brand is the organisation's branding as messages show it: its name
// (with the logo, in the HTML part) above the message, the footer and
// the postal address below it. The zero Brand shows nothing, and
// messages are then byte for byte what they were without one. The
// branding package loads it; attach it with Overrides.WithBrand.
type Brand struct {
	Name string
	// LogoURL is the logo's absolute address, which the HTML part links
	// to (a logo is never attached); empty for none. LogoWidth and
	// LogoHeight are its size in pixels.
	LogoURL               string
	LogoWidth, LogoHeight int
	// Address is the postal address, lines separated by "\n".
	Address string
	// Footer is the default footer, Footers the footer by language
	// ("fr"), which replaces it for readers of that language.
	Footer  string
	Footers map[string]string
}

func (b Brand) empty() bool {
	return b.Name == "" && b.LogoURL == "" && b.Address == "" && b.Footer == "" && len(b.Footers) == 0
}

// key identifies the brand's content, for Overrides.Key.
func (b Brand) key() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %d %d %q %q\n", b.Name, b.LogoURL, b.LogoWidth, b.LogoHeight, b.Address, b.Footer)
	langs := make([]string, 0, len(b.Footers))
	for l := range b.Footers {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		fmt.Fprintf(h, "%q %q\n", l, b.Footers[l])
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// WithBrand returns ov that also shows b in every message, built-in or
// override, release message or confirmation. Key changes with b, so a
// cache keyed by it renders again when the branding changes; a zero b
// leaves ov as it was.
func (ov Overrides) WithBrand(b Brand) Overrides {
	if b.empty() {
		ov.brand = nil
		return ov
	}
	ov.brand = &b
	ov.key = ov.key + "+" + b.key()
	return ov
}

// Brand is the branding ov shows; zero when none.
func (ov Overrides) Brand() Brand {
	if ov.brand == nil {
		return Brand{}
	}
	return *ov.brand
}

// brandView is what templates see of the brand: strings and lists of
// strings only, as everywhere in view.
type brandView struct {
	Name string
	// LogoURL is empty when there is no logo; LogoWidth and LogoHeight
	// are the size it is shown at, which fits mail clients' narrow
	// columns.
	LogoURL, LogoWidth, LogoHeight string
	Address                        []string
	Footer                         []string
}

// Largest size a logo is shown at in a message.
const (
	logoBoxWidth  = 240
	logoBoxHeight = 64
)

// view returns what the templates of a message in lang see of b.
func (b *Brand) view(lang string) brandView {
	if b == nil {
		return brandView{}
	}
	v := brandView{Name: oneLine(b.Name), Address: textLines(b.Address), Footer: textLines(b.FooterFor(lang))}
	if b.LogoURL != "" && httpURL(b.LogoURL) && b.LogoWidth > 0 && b.LogoHeight > 0 {
		w, h := b.LogoWidth, b.LogoHeight
		if w > logoBoxWidth {
			w, h = logoBoxWidth, max(1, h*logoBoxWidth/w)
		}
		if h > logoBoxHeight {
			w, h = max(1, w*logoBoxHeight/h), logoBoxHeight
		}
		v.LogoURL, v.LogoWidth, v.LogoHeight = oneLine(b.LogoURL), strconv.Itoa(w), strconv.Itoa(h)
	}
	return v
}

// FooterFor is the footer of lang, of its base language ("fr" for
// "fr-CA"), or the default: the one rule for messages and pages.
func (b *Brand) FooterFor(lang string) string {
	if f := b.Footers[lang]; f != "" {
		return f
	}
	if tag, err := language.Parse(lang); err == nil {
		base, _ := tag.Base()
		if f := b.Footers[base.String()]; f != "" {
			return f
		}
	}
	return b.Footer
}

// textLines splits s into its non-empty lines, each on one line.
func textLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = oneLine(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// sampleBrand is the branding overrides are checked with, besides none:
// a template that shows the brand must work with every field set.
var sampleBrand = Brand{
	Name:    "International Mobility Agency",
	LogoURL: "https://news.example.org/branding/logo?v=0123456789abcdef", LogoWidth: 480, LogoHeight: 120,
	Address: "17 route des Morillons\nCH-1211 Geneva 19\nSwitzerland",
	Footer:  "You receive this message because you subscribed to our press releases.",
}
