package office

// The texts of a count the release page's script fetches join the
// catalog as the other pages' do.
func init() {
	for lang, texts := range map[string]map[string]string{"en": audienceEN, "fr": audienceFR, "es": audienceES, "ar": audienceAR} {
		for k, v := range texts {
			catalog[lang][k] = v
		}
	}
}

var audienceEN = map[string]string{
	"audience_count_link":   "Count who it reaches",
	"audience_count_failed": "The audience could not be counted.",
}

var audienceFR = map[string]string{
	"audience_count_link":   "Compter qui elle atteint",
	"audience_count_failed": "L'audience n'a pas pu être comptée.",
}

var audienceES = map[string]string{
	"audience_count_link":   "Contar a quién llega",
	"audience_count_failed": "No se pudo contar la audiencia.",
}

var audienceAR = map[string]string{
	"audience_count_link":   "عدّ من يصل إليهم",
	"audience_count_failed": "تعذّر عدّ الجمهور.",
}
