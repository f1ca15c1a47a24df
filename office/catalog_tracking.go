package office

// The texts of the editor's opens-and-clicks setting and of the report's
// figures join the catalog as the other pages' do.
func init() {
	for lang, texts := range map[string]map[string]string{"en": trackingEN, "fr": trackingFR, "es": trackingES, "ar": trackingAR} {
		for k, v := range texts {
			catalog[lang][k] = v
		}
	}
}

var trackingEN = map[string]string{
	"editor_tracking":          "Opens and clicks",
	"editor_tracking_hint":     "Off unless ticked. Opens are counted with an invisible image, which Apple Mail fetches for every message, opened or not: read them as a trend, not as readers. Clicks lead through this service. Only counts and times are kept per message.",
	"editor_track_opens":       "Count opens",
	"editor_track_clicks":      "Count clicks on links",
	"report_engagement":        "Opens and clicks",
	"report_opened":            "Opened by %s.",
	"report_clicked":           "Links followed by %s.",
	"report_link":              "Link",
	"report_link_readers":      "Readers",
	"report_link_clicks":       "Clicks",
	"report_engagement_caveat": "Apple Mail fetches the image that counts opens for every message it receives, so opens are approximate; a followed link also counts as an open.",
}

var trackingFR = map[string]string{
	"editor_tracking":          "Ouvertures et clics",
	"editor_tracking_hint":     "Désactivé sauf si coché. Les ouvertures sont comptées par une image invisible, qu'Apple Mail télécharge pour chaque message, ouvert ou non : lisez-les comme une tendance, non comme des lecteurs. Les clics passent par ce service. Seuls des nombres et des heures sont gardés par message.",
	"editor_track_opens":       "Compter les ouvertures",
	"editor_track_clicks":      "Compter les clics sur les liens",
	"report_engagement":        "Ouvertures et clics",
	"report_opened":            "Ouvert par %s.",
	"report_clicked":           "Liens suivis par %s.",
	"report_link":              "Lien",
	"report_link_readers":      "Lecteurs",
	"report_link_clicks":       "Clics",
	"report_engagement_caveat": "Apple Mail télécharge l'image qui compte les ouvertures pour chaque message reçu : les ouvertures sont approximatives ; un lien suivi compte aussi comme une ouverture.",
}

var trackingES = map[string]string{
	"editor_tracking":          "Aperturas y clics",
	"editor_tracking_hint":     "Desactivado salvo que se marque. Las aperturas se cuentan con una imagen invisible que Apple Mail descarga para cada mensaje, abierto o no: léalas como una tendencia, no como lectores. Los clics pasan por este servicio. Solo se guardan cifras y horas por mensaje.",
	"editor_track_opens":       "Contar aperturas",
	"editor_track_clicks":      "Contar clics en los enlaces",
	"report_engagement":        "Aperturas y clics",
	"report_opened":            "Abierto por %s.",
	"report_clicked":           "Enlaces seguidos por %s.",
	"report_link":              "Enlace",
	"report_link_readers":      "Lectores",
	"report_link_clicks":       "Clics",
	"report_engagement_caveat": "Apple Mail descarga la imagen que cuenta las aperturas para cada mensaje que recibe: las aperturas son aproximadas; un enlace seguido también cuenta como apertura.",
}

var trackingAR = map[string]string{
	"editor_tracking":          "الفتح والنقرات",
	"editor_tracking_hint":     "معطّل ما لم يُحدَّد. يُحسب الفتح بصورة غير مرئية يجلبها تطبيق Apple Mail لكل رسالة، فُتحت أم لا: اقرأها اتجاهًا لا عددًا للقرّاء. تمرّ النقرات عبر هذه الخدمة. لا يُحفظ لكل رسالة سوى أعداد وأوقات.",
	"editor_track_opens":       "عدّ مرات الفتح",
	"editor_track_clicks":      "عدّ النقرات على الروابط",
	"report_engagement":        "الفتح والنقرات",
	"report_opened":            "فتحها %s.",
	"report_clicked":           "تابع الروابط %s.",
	"report_link":              "الرابط",
	"report_link_readers":      "القرّاء",
	"report_link_clicks":       "النقرات",
	"report_engagement_caveat": "يجلب تطبيق Apple Mail الصورة التي تعدّ مرات الفتح لكل رسالة يتلقاها، لذا فأعداد الفتح تقريبية؛ ويُحسب اتباع رابط فتحًا أيضًا.",
}
