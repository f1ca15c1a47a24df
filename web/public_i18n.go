package web

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// pageLanguages are the languages of the public pages; the first is the
// fallback.
var pageLanguages = []language.Tag{language.English, language.French, language.Spanish, language.Arabic}

var pageMatcher = language.NewMatcher(pageLanguages)

// pageLanguage chooses the language of a public page: the ?lang= of the
// link or form, then the subscriber's own preferences when the page is
// about a known contact, then the browser's Accept-Language, then English.
func pageLanguage(r *http.Request, prefs []string) string {
	if l, ok := matchPageLanguage(r.URL.Query().Get("lang")); ok {
		return l
	}
	for _, p := range prefs {
		if l, ok := matchPageLanguage(p); ok {
			return l
		}
	}
	if tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil && len(tags) > 0 {
		if _, i, conf := pageMatcher.Match(tags...); conf != language.No {
			return pageLanguages[i].String()
		}
	}
	return "en"
}

// matchPageLanguage maps a BCP 47 tag to a page language ("fr-CA" to fr).
func matchPageLanguage(s string) (string, bool) {
	if s == "" || len(s) > 35 {
		return "", false
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	_, i, conf := pageMatcher.Match(tag)
	if conf == language.No {
		return "", false
	}
	return pageLanguages[i].String(), true
}

// direction is the writing direction of a page language.
func direction(lang string) string {
	if lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// translate returns the text of key in lang, in English when lang lacks
// it, and a visible marker when no language has it, so a test of every
// page in every language catches a missing text.
func translate(lang, key string) string {
	if s, ok := pageText[lang][key]; ok {
		return s
	}
	if s, ok := pageText["en"][key]; ok {
		return s
	}
	return "[missing text " + strings.ToUpper(key) + "]"
}

// pageText holds the texts of the public pages by language and key. Texts
// with %s take the subscriber's address, which the templates isolate.
// French puts a narrow no-break space (\u202f) before ? ; ! and a no-break
// space (\u00a0) before :, so those never start a line.
var pageText = map[string]map[string]string{
	"en": {
		"site":              "Press releases",
		"language":          "Language",
		"optional":          "optional",
		"subscribe_title":   "Subscribe to our press releases",
		"subscribe_intro":   "Choose the regions, countries and topics you cover. You will receive every press release about any of them, in the language you prefer among those it is published in.",
		"you":               "About you",
		"email":             "E-mail address",
		"name":              "Name",
		"organisation":      "Media outlet",
		"follow":            "What you cover",
		"regions":           "Regions",
		"regions_hint":      "A region includes the regions and countries inside it.",
		"countries":         "Countries",
		"other_countries":   "Other",
		"topics":            "Topics",
		"languages":         "Languages",
		"languages_hint":    "In order of preference. Your languages choose the translation you receive, never whether you receive a release.",
		"lang_1":            "First choice",
		"lang_2":            "Second choice",
		"lang_3":            "Third choice",
		"lang_none":         "None",
		"timezone":          "Time zone",
		"timezone_hint":     "Embargo times are shown in your time zone.",
		"subscribe_button":  "Subscribe",
		"privacy":           "We will send you an e-mail to confirm. Your address is used only to send you our press releases, and every message has a link to unsubscribe.",
		"err_title":         "Please check the form",
		"err_email":         "Enter a valid e-mail address.",
		"err_choose":        "Choose at least one region, country or topic.",
		"err_form":          "Some of your choices are not valid.",
		"err_csrf":          "This form has expired. Please send it again.",
		"sent_title":        "Check your inbox",
		"sent_body":         "If this address can receive our press releases, we have sent a message to %s. Open the link in it to confirm your subscription; the link is valid for three days.",
		"sent_spam":         "No message? Look in your spam folder, or subscribe again in a few minutes.",
		"limited_title":     "Too many requests",
		"limited_body":      "Too many subscription requests came from your network. Please try again in an hour.",
		"mail_title":        "We could not send the message",
		"mail_body":         "Please try again in a few minutes.",
		"error_title":       "Something went wrong",
		"error_body":        "Please try again later.",
		"invalid_title":     "This link is not valid",
		"invalid_body":      "It may have expired, or been mistyped or cut by your mail program.",
		"subscribe_again":   "Subscribe",
		"confirm_title":     "Confirm your subscription",
		"confirm_body":      "Confirm that %s wants to receive our press releases.",
		"confirm_button":    "Confirm my subscription",
		"confirmed_title":   "Your subscription is confirmed",
		"confirmed_body":    "You will receive our press releases at %s.",
		"already_title":     "You are already subscribed",
		"already_body":      "Our press releases already go to %s.",
		"stale_title":       "This link is no longer valid",
		"stale_body":        "This address stopped receiving our press releases after the link was sent. To receive them again, subscribe again.",
		"refused_title":     "This subscription cannot be confirmed",
		"refused_body":      "Messages to this address could not be delivered, or it was blocked. Please contact our media office.",
		"manage":            "Change your preferences",
		"prefs_title":       "Your preferences",
		"prefs_intro":       "What %s receives.",
		"prefs_save":        "Save my preferences",
		"prefs_saved":       "Your preferences are saved.",
		"prefs_pending":     "Your subscription is not confirmed yet: open the link in the message we sent you.",
		"prefs_inactive":    "This address receives no press releases. Saving your preferences does not change that; to receive them again, subscribe again.",
		"unsub_link":        "Unsubscribe from all press releases",
		"unsub_title":       "Unsubscribe",
		"unsub_body":        "Stop sending our press releases to %s?",
		"unsub_button":      "Unsubscribe",
		"unsub_instead":     "Or keep receiving them, and choose which: we will send a link to change your preferences to this address.",
		"unsubbed_title":    "You are unsubscribed",
		"unsubbed_body":     "You will receive no more press releases at %s.",
		"unsubbed_again":    "Changed your mind? You can subscribe again at any time.",
		"colon":             ":",
		"err_chars":         "Remove the control characters or invalid text from it.",
		"err_too_long":      "Use at most %s characters.",
		"err_choice":        "This is not one of the choices offered.",
		"busy_body":         "We are receiving too many requests right now. Please try again later.",
		"prefs_link_button": "Send me a link to change my preferences",
		"prefs_link_title":  "Check your inbox",
		"prefs_link_body":   "If this address receives our press releases, we have sent it a link to change your preferences. The link is valid for seven days.",
	},
	"fr": {
		"site":              "Communiqués de presse",
		"language":          "Langue",
		"optional":          "facultatif",
		"subscribe_title":   "Abonnez-vous à nos communiqués de presse",
		"subscribe_intro":   "Choisissez les régions, les pays et les thèmes que vous couvrez. Vous recevrez chaque communiqué qui concerne l’un d’eux, dans la langue que vous préférez parmi celles où il est publié.",
		"you":               "Vous",
		"email":             "Adresse électronique",
		"name":              "Nom",
		"organisation":      "Média",
		"follow":            "Ce que vous couvrez",
		"regions":           "Régions",
		"regions_hint":      "Une région comprend les régions et les pays qui en font partie.",
		"countries":         "Pays",
		"other_countries":   "Autres",
		"topics":            "Thèmes",
		"languages":         "Langues",
		"languages_hint":    "Par ordre de préférence. Vos langues déterminent la traduction que vous recevez, jamais si vous recevez un communiqué.",
		"lang_1":            "Premier choix",
		"lang_2":            "Deuxième choix",
		"lang_3":            "Troisième choix",
		"lang_none":         "Aucune",
		"timezone":          "Fuseau horaire",
		"timezone_hint":     "Les heures d’embargo sont indiquées dans votre fuseau horaire.",
		"subscribe_button":  "S’abonner",
		"privacy":           "Nous vous enverrons un message pour confirmer. Votre adresse ne sert qu’à vous envoyer nos communiqués, et chaque message contient un lien de désabonnement.",
		"err_title":         "Veuillez vérifier le formulaire",
		"err_email":         "Saisissez une adresse électronique valide.",
		"err_choose":        "Choisissez au moins une région, un pays ou un thème.",
		"err_form":          "Certains de vos choix ne sont pas valides.",
		"err_csrf":          "Ce formulaire a expiré. Veuillez l’envoyer à nouveau.",
		"sent_title":        "Consultez votre messagerie",
		"sent_body":         "Si cette adresse peut recevoir nos communiqués, nous avons envoyé un message à %s. Ouvrez le lien qu’il contient pour confirmer votre abonnement\u202f; ce lien est valable trois jours.",
		"sent_spam":         "Pas de message\u202f? Regardez dans vos indésirables, ou abonnez-vous à nouveau dans quelques minutes.",
		"limited_title":     "Trop de demandes",
		"limited_body":      "Trop de demandes d’abonnement proviennent de votre réseau. Veuillez réessayer dans une heure.",
		"mail_title":        "Le message n’a pas pu être envoyé",
		"mail_body":         "Veuillez réessayer dans quelques minutes.",
		"error_title":       "Une erreur s’est produite",
		"error_body":        "Veuillez réessayer plus tard.",
		"invalid_title":     "Ce lien n’est pas valide",
		"invalid_body":      "Il a peut-être expiré, ou été mal recopié ou coupé par votre messagerie.",
		"subscribe_again":   "S’abonner",
		"confirm_title":     "Confirmez votre abonnement",
		"confirm_body":      "Confirmez que %s souhaite recevoir nos communiqués de presse.",
		"confirm_button":    "Confirmer mon abonnement",
		"confirmed_title":   "Votre abonnement est confirmé",
		"confirmed_body":    "Vous recevrez nos communiqués de presse à l’adresse %s.",
		"already_title":     "Vous êtes déjà abonné",
		"already_body":      "Nos communiqués sont déjà envoyés à %s.",
		"stale_title":       "Ce lien n’est plus valable",
		"stale_body":        "Cette adresse a cessé de recevoir nos communiqués après l’envoi du lien. Pour les recevoir de nouveau, abonnez-vous à nouveau.",
		"refused_title":     "Cet abonnement ne peut pas être confirmé",
		"refused_body":      "Les messages à cette adresse n’ont pas pu être remis, ou elle a été bloquée. Veuillez contacter notre service de presse.",
		"manage":            "Modifier vos préférences",
		"prefs_title":       "Vos préférences",
		"prefs_intro":       "Ce que reçoit %s.",
		"prefs_save":        "Enregistrer mes préférences",
		"prefs_saved":       "Vos préférences sont enregistrées.",
		"prefs_pending":     "Votre abonnement n’est pas encore confirmé\u00a0: ouvrez le lien du message que nous vous avons envoyé.",
		"prefs_inactive":    "Cette adresse ne reçoit aucun communiqué. Enregistrer vos préférences n’y change rien\u202f; pour les recevoir de nouveau, abonnez-vous à nouveau.",
		"unsub_link":        "Se désabonner de tous les communiqués",
		"unsub_title":       "Se désabonner",
		"unsub_body":        "Ne plus envoyer nos communiqués de presse à %s\u202f?",
		"unsub_button":      "Se désabonner",
		"unsub_instead":     "Ou continuez à les recevoir en choisissant lesquels\u00a0: nous enverrons à cette adresse un lien pour modifier vos préférences.",
		"unsubbed_title":    "Vous êtes désabonné",
		"unsubbed_body":     "Vous ne recevrez plus de communiqués de presse à l’adresse %s.",
		"unsubbed_again":    "Vous avez changé d’avis\u202f? Vous pouvez vous abonner à nouveau à tout moment.",
		"colon":             "\u00a0:",
		"err_chars":         "Retirez-en les caractères de contrôle ou le texte non valide.",
		"err_too_long":      "Utilisez au plus %s caractères.",
		"err_choice":        "Ce choix ne fait pas partie de ceux proposés.",
		"busy_body":         "Nous recevons trop de demandes en ce moment. Veuillez réessayer plus tard.",
		"prefs_link_button": "M’envoyer un lien pour modifier mes préférences",
		"prefs_link_title":  "Consultez votre messagerie",
		"prefs_link_body":   "Si cette adresse reçoit nos communiqués, nous lui avons envoyé un lien pour modifier vos préférences. Ce lien est valable sept jours.",
	},
	"es": {
		"site":              "Comunicados de prensa",
		"language":          "Idioma",
		"optional":          "opcional",
		"subscribe_title":   "Suscríbase a nuestros comunicados de prensa",
		"subscribe_intro":   "Elija las regiones, los países y los temas que cubre. Recibirá cada comunicado sobre cualquiera de ellos, en el idioma que prefiera entre aquellos en que se publique.",
		"you":               "Sus datos",
		"email":             "Correo electrónico",
		"name":              "Nombre",
		"organisation":      "Medio de comunicación",
		"follow":            "Lo que cubre",
		"regions":           "Regiones",
		"regions_hint":      "Una región incluye las regiones y los países que la componen.",
		"countries":         "Países",
		"other_countries":   "Otros",
		"topics":            "Temas",
		"languages":         "Idiomas",
		"languages_hint":    "Por orden de preferencia. Sus idiomas deciden la traducción que recibe, nunca si recibe un comunicado.",
		"lang_1":            "Primera opción",
		"lang_2":            "Segunda opción",
		"lang_3":            "Tercera opción",
		"lang_none":         "Ninguno",
		"timezone":          "Zona horaria",
		"timezone_hint":     "Las horas de embargo se indican en su zona horaria.",
		"subscribe_button":  "Suscribirse",
		"privacy":           "Le enviaremos un correo para confirmar. Su dirección solo se usa para enviarle nuestros comunicados, y cada mensaje incluye un enlace para darse de baja.",
		"err_title":         "Revise el formulario",
		"err_email":         "Escriba una dirección de correo válida.",
		"err_choose":        "Elija al menos una región, un país o un tema.",
		"err_form":          "Algunas de sus opciones no son válidas.",
		"err_csrf":          "Este formulario ha caducado. Envíelo de nuevo.",
		"sent_title":        "Revise su correo",
		"sent_body":         "Si esta dirección puede recibir nuestros comunicados, hemos enviado un mensaje a %s. Abra el enlace que contiene para confirmar su suscripción; el enlace es válido durante tres días.",
		"sent_spam":         "¿No le ha llegado? Mire en la carpeta de correo no deseado o suscríbase de nuevo dentro de unos minutos.",
		"limited_title":     "Demasiadas solicitudes",
		"limited_body":      "Han llegado demasiadas solicitudes de suscripción desde su red. Vuelva a intentarlo dentro de una hora.",
		"mail_title":        "No hemos podido enviar el mensaje",
		"mail_body":         "Vuelva a intentarlo dentro de unos minutos.",
		"error_title":       "Se ha producido un error",
		"error_body":        "Vuelva a intentarlo más tarde.",
		"invalid_title":     "Este enlace no es válido",
		"invalid_body":      "Puede que haya caducado o que se haya copiado mal o cortado en su programa de correo.",
		"subscribe_again":   "Suscribirse",
		"confirm_title":     "Confirme su suscripción",
		"confirm_body":      "Confirme que %s desea recibir nuestros comunicados de prensa.",
		"confirm_button":    "Confirmar mi suscripción",
		"confirmed_title":   "Su suscripción está confirmada",
		"confirmed_body":    "Recibirá nuestros comunicados de prensa en %s.",
		"already_title":     "Ya está suscrito",
		"already_body":      "Nuestros comunicados ya se envían a %s.",
		"stale_title":       "Este enlace ya no es válido",
		"stale_body":        "Esta dirección dejó de recibir nuestros comunicados después de enviarse el enlace. Para volver a recibirlos, suscríbase de nuevo.",
		"refused_title":     "Esta suscripción no se puede confirmar",
		"refused_body":      "Los mensajes a esta dirección no se pudieron entregar, o la dirección fue bloqueada. Póngase en contacto con nuestra oficina de prensa.",
		"manage":            "Cambiar sus preferencias",
		"prefs_title":       "Sus preferencias",
		"prefs_intro":       "Lo que recibe %s.",
		"prefs_save":        "Guardar mis preferencias",
		"prefs_saved":       "Sus preferencias se han guardado.",
		"prefs_pending":     "Su suscripción aún no está confirmada: abra el enlace del mensaje que le enviamos.",
		"prefs_inactive":    "Esta dirección no recibe comunicados. Guardar sus preferencias no cambia eso; para volver a recibirlos, suscríbase de nuevo.",
		"unsub_link":        "Darse de baja de todos los comunicados",
		"unsub_title":       "Darse de baja",
		"unsub_body":        "¿Dejar de enviar nuestros comunicados de prensa a %s?",
		"unsub_button":      "Darse de baja",
		"unsub_instead":     "O siga recibiéndolos y elija cuáles: enviaremos a esta dirección un enlace para cambiar sus preferencias.",
		"unsubbed_title":    "Se ha dado de baja",
		"unsubbed_body":     "No recibirá más comunicados de prensa en %s.",
		"unsubbed_again":    "¿Ha cambiado de opinión? Puede volver a suscribirse en cualquier momento.",
		"colon":             ":",
		"err_chars":         "Quite los caracteres de control o el texto no válido.",
		"err_too_long":      "Use como máximo %s caracteres.",
		"err_choice":        "Esta opción no es una de las ofrecidas.",
		"busy_body":         "Estamos recibiendo demasiadas solicitudes en este momento. Vuelva a intentarlo más tarde.",
		"prefs_link_button": "Enviarme un enlace para cambiar mis preferencias",
		"prefs_link_title":  "Revise su correo",
		"prefs_link_body":   "Si esta dirección recibe nuestros comunicados, le hemos enviado un enlace para cambiar sus preferencias. El enlace es válido durante siete días.",
	},
	"ar": {
		"site":              "البيانات الصحفية",
		"language":          "اللغة",
		"optional":          "اختياري",
		"subscribe_title":   "اشترك في بياناتنا الصحفية",
		"subscribe_intro":   "اختر المناطق والبلدان والمواضيع التي تغطيها. ستتلقى كل بيان صحفي يتناول أيًّا منها، باللغة التي تفضّلها من بين اللغات التي يُنشر بها.",
		"you":               "بياناتك",
		"email":             "عنوان البريد الإلكتروني",
		"name":              "الاسم",
		"organisation":      "الوسيلة الإعلامية",
		"follow":            "ما تغطيه",
		"regions":           "المناطق",
		"regions_hint":      "تشمل المنطقة ما يقع داخلها من مناطق وبلدان.",
		"countries":         "البلدان",
		"other_countries":   "أخرى",
		"topics":            "المواضيع",
		"languages":         "اللغات",
		"languages_hint":    "حسب ترتيب الأفضلية. تحدّد لغاتك الترجمة التي تتلقاها، ولا تحدّد أبدًا ما إذا كنت ستتلقى البيان.",
		"lang_1":            "الخيار الأول",
		"lang_2":            "الخيار الثاني",
		"lang_3":            "الخيار الثالث",
		"lang_none":         "لا شيء",
		"timezone":          "المنطقة الزمنية",
		"timezone_hint":     "تُعرض مواعيد الحظر بحسب منطقتك الزمنية.",
		"subscribe_button":  "اشترك",
		"privacy":           "سنرسل إليك رسالة للتأكيد. لا يُستخدم عنوانك إلا لإرسال بياناتنا الصحفية إليك، وتتضمن كل رسالة رابطًا لإلغاء الاشتراك.",
		"err_title":         "يرجى مراجعة النموذج",
		"err_email":         "أدخل عنوان بريد إلكتروني صالحًا.",
		"err_choose":        "اختر منطقة أو بلدًا أو موضوعًا واحدًا على الأقل.",
		"err_form":          "بعض اختياراتك غير صالحة.",
		"err_csrf":          "انتهت صلاحية هذا النموذج. يرجى إرساله مرة أخرى.",
		"sent_title":        "تحقّق من بريدك الوارد",
		"sent_body":         "إذا كان بإمكان هذا العنوان تلقي بياناتنا الصحفية، فقد أرسلنا رسالة إلى %s. افتح الرابط الوارد فيها لتأكيد اشتراكك؛ الرابط صالح لمدة ثلاثة أيام.",
		"sent_spam":         "لم تصلك الرسالة؟ ابحث في مجلد الرسائل غير المرغوب فيها، أو اشترك مرة أخرى بعد بضع دقائق.",
		"limited_title":     "طلبات كثيرة جدًّا",
		"limited_body":      "وردت طلبات اشتراك كثيرة جدًّا من شبكتك. يرجى المحاولة مرة أخرى بعد ساعة.",
		"mail_title":        "تعذّر إرسال الرسالة",
		"mail_body":         "يرجى المحاولة مرة أخرى بعد بضع دقائق.",
		"error_title":       "حدث خطأ",
		"error_body":        "يرجى المحاولة مرة أخرى لاحقًا.",
		"invalid_title":     "هذا الرابط غير صالح",
		"invalid_body":      "ربما انتهت صلاحيته، أو نُسخ بشكل خاطئ، أو قطعه برنامج البريد لديك.",
		"subscribe_again":   "اشترك",
		"confirm_title":     "أكّد اشتراكك",
		"confirm_body":      "أكّد أن %s يرغب في تلقي بياناتنا الصحفية.",
		"confirm_button":    "تأكيد اشتراكي",
		"confirmed_title":   "تم تأكيد اشتراكك",
		"confirmed_body":    "ستتلقى بياناتنا الصحفية على العنوان %s.",
		"already_title":     "أنت مشترك بالفعل",
		"already_body":      "تُرسل بياناتنا الصحفية بالفعل إلى %s.",
		"stale_title":       "لم يعد هذا الرابط صالحًا",
		"stale_body":        "توقف هذا العنوان عن تلقي بياناتنا الصحفية بعد إرسال الرابط. لتلقيها من جديد، اشترك مرة أخرى.",
		"refused_title":     "لا يمكن تأكيد هذا الاشتراك",
		"refused_body":      "تعذّر تسليم الرسائل إلى هذا العنوان، أو تم حظره. يرجى الاتصال بمكتبنا الإعلامي.",
		"manage":            "تغيير تفضيلاتك",
		"prefs_title":       "تفضيلاتك",
		"prefs_intro":       "ما يتلقاه %s.",
		"prefs_save":        "حفظ تفضيلاتي",
		"prefs_saved":       "تم حفظ تفضيلاتك.",
		"prefs_pending":     "لم يتم تأكيد اشتراكك بعد: افتح الرابط الوارد في الرسالة التي أرسلناها إليك.",
		"prefs_inactive":    "لا يتلقى هذا العنوان أي بيانات صحفية. حفظ تفضيلاتك لا يغيّر ذلك؛ لتلقيها من جديد، اشترك مرة أخرى.",
		"unsub_link":        "إلغاء الاشتراك في جميع البيانات الصحفية",
		"unsub_title":       "إلغاء الاشتراك",
		"unsub_body":        "هل تريد إيقاف إرسال بياناتنا الصحفية إلى %s؟",
		"unsub_button":      "إلغاء الاشتراك",
		"unsub_instead":     "أو واصل تلقيها واختر ما تتلقاه منها: سنرسل إلى هذا العنوان رابطًا لتغيير تفضيلاتك.",
		"unsubbed_title":    "تم إلغاء اشتراكك",
		"unsubbed_body":     "لن تتلقى بعد الآن أي بيانات صحفية على العنوان %s.",
		"unsubbed_again":    "هل غيّرت رأيك؟ يمكنك الاشتراك مرة أخرى في أي وقت.",
		"colon":             ":",
		"err_chars":         "احذف منه محارف التحكم أو النص غير الصالح.",
		"err_too_long":      "الحد الأقصى لعدد المحارف: %s.",
		"err_choice":        "هذا ليس من الخيارات المعروضة.",
		"busy_body":         "نتلقى طلبات كثيرة جدًّا في الوقت الحالي. يرجى المحاولة مرة أخرى لاحقًا.",
		"prefs_link_button": "أرسلوا إليّ رابطًا لتغيير تفضيلاتي",
		"prefs_link_title":  "تحقّق من بريدك الوارد",
		"prefs_link_body":   "إذا كان هذا العنوان يتلقى بياناتنا الصحفية، فقد أرسلنا إليه رابطًا لتغيير تفضيلاتك. الرابط صالح لمدة سبعة أيام.",
	},
}
