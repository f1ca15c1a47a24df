package taxonomy

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// isoCountries lists the current ISO 3166-1 alpha-2 codes. It is written
// out rather than taken from CLDR because CLDR also knows withdrawn and
// reserved codes (AN, CP, DG, EA, IC, XK, …) that contacts must not use.
const isoCountries = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW`

var countrySet = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 256)
	for _, c := range strings.Fields(isoCountries) {
		m[c] = true
	}
	return m
})

// Countries returns the ISO 3166-1 alpha-2 codes in alphabetical order.
func Countries() []string { return strings.Fields(isoCountries) }

// IsCountry reports whether code is a current ISO 3166-1 alpha-2 code in
// upper case, the form the database stores.
func IsCountry(code string) bool { return countrySet()[code] }

// CountryName returns the name of the country code in the language lang
// (a BCP 47 tag; CLDR picks the closest language it has), in English when
// lang is unknown. It returns "" when code is not a country.
func CountryName(code, lang string) string {
	if !IsCountry(code) {
		return ""
	}
	region, err := language.ParseRegion(code)
	if err != nil {
		return ""
	}
	if tag, err := language.Parse(lang); err == nil {
		if n := display.Regions(tag); n != nil {
			if name := n.Name(region); name != "" {
				return name
			}
		}
	}
	return display.English.Regions().Name(region)
}
