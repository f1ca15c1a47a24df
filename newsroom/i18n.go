package newsroom

import (
	"net/http"
	"time"

	"golang.org/x/text/language"
)

// text holds the newsroom's words in one language.
type text struct {
	Lang, Dir                                 string
	LangName                                  string
	Newsroom, Latest, Search, SearchLabel     string
	Region, Country, Topic, Language, Any, Go string
	Newer, Older, NoReleases, Published       string
	Corrected, CorrectedOn, Withdrawn         string
	WithdrawnText, Reason, ReadIn, Feed       string
	Skip, Filters, PageNav, OtherLanguages    string
	NotFound                                  string
	// The private preview of an embargoed release.
	Embargoed, PreviewFor, PreviewOver, PreviewBad string
	// A release's media: headings, the original's link ("%s, %s":
	// format and size) and units of size.
	Photos, Documents, Original, MB, KB string
	dateFormat                          string
	months                              [12]string
}

var texts = map[string]*text{
	"en": {
		Lang: "en", Dir: "ltr", LangName: "English",
		Newsroom: "Newsroom", Latest: "Latest releases", Search: "Search", SearchLabel: "Search releases",
		Region: "Region", Country: "Country", Topic: "Topic", Language: "Language", Any: "Any", Go: "Show",
		Newer: "Newer", Older: "Older", NoReleases: "No releases match.", Published: "Published",
		Corrected: "Corrected", CorrectedOn: "Correction of %s", Withdrawn: "Withdrawn",
		WithdrawnText: "This release was withdrawn on %s. Please disregard it.", Reason: "Reason",
		ReadIn: "Read in", Feed: "Atom feed", Skip: "Skip to content", Filters: "Filter releases",
		PageNav: "Pages", OtherLanguages: "Other languages", NotFound: "There is no public release at this address.",
		Embargoed: "EMBARGOED UNTIL %s", PreviewFor: "A private preview for %s. Not for publication, broadcast or posting online before the lift; please do not forward this link.",
		PreviewOver: "This preview has ended: the embargo has lifted or the release was withdrawn.", PreviewBad: "This preview link is not valid.",
		Photos: "Photos", Documents: "Documents", Original: "Original (%s, %s)", MB: "MB", KB: "KB",
		dateFormat: "2 %s 2006, 15:04 UTC",
		months:     [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	},
	"fr": {
		Lang: "fr", Dir: "ltr", LangName: "Français",
		Newsroom: "Salle de presse", Latest: "Derniers communiqués", Search: "Rechercher", SearchLabel: "Rechercher un communiqué",
		Region: "Région", Country: "Pays", Topic: "Thème", Language: "Langue", Any: "Tous", Go: "Afficher",
		Newer: "Plus récents", Older: "Plus anciens", NoReleases: "Aucun communiqué ne correspond.", Published: "Publié",
		Corrected: "Corrigé", CorrectedOn: "Correction du %s", Withdrawn: "Retiré",
		WithdrawnText: "Ce communiqué a été retiré le %s. Merci de ne pas en tenir compte.", Reason: "Motif",
		ReadIn: "Lire en", Feed: "Flux Atom", Skip: "Aller au contenu", Filters: "Filtrer les communiqués",
		PageNav: "Pages", OtherLanguages: "Autres langues", NotFound: "Aucun communiqué public à cette adresse.",
		Embargoed: "SOUS EMBARGO JUSQU'AU %s", PreviewFor: "Un aperçu privé pour %s. Publication, diffusion et mise en ligne interdites avant la levée de l’embargo ; merci de ne pas transférer ce lien.",
		PreviewOver: "Cet aperçu a pris fin : l’embargo est levé ou le communiqué a été retiré.", PreviewBad: "Ce lien d’aperçu n’est pas valide.",
		Photos: "Photos", Documents: "Documents", Original: "Original (%s, %s)", MB: "Mo", KB: "Ko",
		dateFormat: "2 %s 2006, 15:04 UTC",
		months:     [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	},
	"es": {
		Lang: "es", Dir: "ltr", LangName: "Español",
		Newsroom: "Sala de prensa", Latest: "Últimos comunicados", Search: "Buscar", SearchLabel: "Buscar comunicados",
		Region: "Región", Country: "País", Topic: "Tema", Language: "Idioma", Any: "Todos", Go: "Mostrar",
		Newer: "Más recientes", Older: "Más antiguos", NoReleases: "Ningún comunicado coincide.", Published: "Publicado",
		Corrected: "Corregido", CorrectedOn: "Corrección del %s", Withdrawn: "Retirado",
		WithdrawnText: "Este comunicado fue retirado el %s. Por favor, no lo tenga en cuenta.", Reason: "Motivo",
		ReadIn: "Leer en", Feed: "Canal Atom", Skip: "Ir al contenido", Filters: "Filtrar comunicados",
		PageNav: "Páginas", OtherLanguages: "Otros idiomas", NotFound: "No hay ningún comunicado público en esta dirección.",
		Embargoed: "BAJO EMBARGO HASTA EL %s", PreviewFor: "Una vista previa privada para %s. Prohibida su publicación, difusión o puesta en línea antes del fin del embargo; por favor, no reenvíe este enlace.",
		PreviewOver: "Esta vista previa ha terminado: el embargo se levantó o el comunicado fue retirado.", PreviewBad: "Este enlace de vista previa no es válido.",
		Photos: "Fotos", Documents: "Documentos", Original: "Original (%s, %s)", MB: "MB", KB: "KB",
		dateFormat: "2 de %s de 2006, 15:04 UTC",
		months:     [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	},
	"ar": {
		Lang: "ar", Dir: "rtl", LangName: "العربية",
		Newsroom: "غرفة الأخبار", Latest: "أحدث البيانات الصحفية", Search: "بحث", SearchLabel: "البحث في البيانات الصحفية",
		Region: "المنطقة", Country: "البلد", Topic: "الموضوع", Language: "اللغة", Any: "الكل", Go: "عرض",
		Newer: "الأحدث", Older: "الأقدم", NoReleases: "لا توجد بيانات مطابقة.", Published: "نُشر",
		Corrected: "مُصحَّح", CorrectedOn: "تصحيح بتاريخ %s", Withdrawn: "مسحوب",
		WithdrawnText: "سُحب هذا البيان في %s. يرجى عدم الأخذ به.", Reason: "السبب",
		ReadIn: "اقرأ بـ", Feed: "موجز Atom", Skip: "انتقل إلى المحتوى", Filters: "تصفية البيانات",
		PageNav: "الصفحات", OtherLanguages: "لغات أخرى", NotFound: "لا يوجد بيان صحفي منشور على هذا العنوان.",
		Embargoed: "محظور النشر حتى %s", PreviewFor: "معاينة خاصة لـ %s. يُحظر النشر أو البث أو الوضع على الإنترنت قبل رفع الحظر؛ يرجى عدم إعادة توجيه هذا الرابط.",
		PreviewOver: "انتهت هذه المعاينة: رُفع الحظر أو سُحب البيان.", PreviewBad: "رابط المعاينة هذا غير صالح.",
		Photos: "الصور", Documents: "الوثائق", Original: "الصورة الأصلية (%s، %s)", MB: "ميغابايت", KB: "كيلوبايت",
		dateFormat: "2 %s 2006، 15:04 UTC",
		months:     [12]string{"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
	},
}

// date writes t (in UTC) the way this language writes dates.
func (x *text) date(t time.Time) string {
	t = t.UTC()
	layout := x.dateFormat
	// The month name goes in after formatting: Go's layout would read
	// digits or letters inside it as parts of the date.
	const mark = "\x00"
	out := t.Format(replaceOnce(layout, "%s", mark))
	out = replaceOnce(out, mark, x.months[t.Month()-1])
	return out
}

// uiLanguages are the languages texts holds, the first the fallback;
// uiMatcher's answers index it.
var uiLanguages = []string{"en", "fr", "es", "ar"}

var uiMatcher = func() language.Matcher {
	tags := make([]language.Tag, len(uiLanguages))
	for i, l := range uiLanguages {
		tags[i] = language.MustParse(l)
	}
	return language.NewMatcher(tags)
}()

// uiText picks the page's words: ?lang= when the newsroom speaks it,
// else the browser's Accept-Language, else English.
func uiText(r *http.Request, want string) *text {
	if want != "" {
		if t, err := language.Parse(want); err == nil {
			base, _ := t.Base()
			if x, ok := texts[base.String()]; ok {
				return x
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) > 0 {
		_, i, conf := uiMatcher.Match(tags...)
		if conf != language.No {
			return texts[uiLanguages[i]]
		}
	}
	return texts["en"]
}

// languageName names a release language in its own language.
func languageName(tag string) string {
	if x, ok := texts[tag]; ok {
		return x.LangName
	}
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	return displaySelf(t)
}
