package office

// The texts of the correction, report, contacts and administration pages
// join the catalog as the release pages' do.
func init() {
	for lang, texts := range map[string]map[string]string{"en": moreEN, "fr": moreFR, "es": moreES, "ar": moreAR} {
		for k, v := range texts {
			catalog[lang][k] = v
		}
	}
}

var moreEN = map[string]string{
	"correct_title":         "Correct a release",
	"release_correct":       "Correct",
	"back_release":          "Back to the release",
	"correct_intro":         "Change what is wrong in each language. Only the languages you change are corrected, and only their readers are sent the corrected text; readers of the other languages get nothing.",
	"correct_reach":         "A correction of this language goes to the %s readers of %s.",
	"correct_reach_one":     "A correction of this language goes to the one reader of %s.",
	"correct_reach_none":    "Nobody has received the release in %s yet: a correction changes its text and sends nothing.",
	"editor_note":           "Note to readers",
	"correct_note_hint":     "Optional: what changed, shown at the top of the corrected message.",
	"correct_note_alone":    "A note needs a change in this language.",
	"correct_nothing":       "Nothing is changed: there is nothing to correct.",
	"correct_confirm_label": "I have checked the corrected text and who it goes to.",
	"correct_stale":         "The release changed since this form was opened. Here it is as it is now; make your correction again.",
	"correct_not_published": "Only a published release can be corrected; this one is %s.",
	"action_correct":        "Send the correction",
	"flash_correct":         "The correction is recorded; its readers are being sent the corrected text.",
}

var moreFR = map[string]string{
	"correct_title":         "Corriger un communiqué",
	"release_correct":       "Corriger",
	"back_release":          "Retour au communiqué",
	"correct_intro":         "Modifiez ce qui est faux dans chaque langue. Seules les langues modifiées sont corrigées, et seuls leurs lecteurs reçoivent le texte corrigé\u202f; les lecteurs des autres langues ne reçoivent rien.",
	"correct_reach":         "Une correction de cette langue part aux %s lecteurs en %s.",
	"correct_reach_one":     "Une correction de cette langue part à l'unique lecteur en %s.",
	"correct_reach_none":    "Personne n'a encore reçu le communiqué en %s\u202f: une correction change son texte et n'envoie rien.",
	"editor_note":           "Note aux lecteurs",
	"correct_note_hint":     "Facultatif\u202f: ce qui a changé, affiché en tête du message corrigé.",
	"correct_note_alone":    "Une note demande une modification dans cette langue.",
	"correct_nothing":       "Rien n'est modifié\u202f: il n'y a rien à corriger.",
	"correct_confirm_label": "J'ai vérifié le texte corrigé et ses destinataires.",
	"correct_stale":         "Le communiqué a changé depuis l'ouverture de ce formulaire. Le voici tel qu'il est\u202f; refaites votre correction.",
	"correct_not_published": "Seul un communiqué publié peut être corrigé\u202f; celui-ci est\u00a0: %s.",
	"action_correct":        "Envoyer la correction",
	"flash_correct":         "La correction est enregistrée\u202f; ses lecteurs reçoivent le texte corrigé.",
}

var moreES = map[string]string{
	"correct_title":         "Corregir un comunicado",
	"release_correct":       "Corregir",
	"back_release":          "Volver al comunicado",
	"correct_intro":         "Cambie lo que esté mal en cada idioma. Solo se corrigen los idiomas que cambie, y solo sus lectores reciben el texto corregido; los lectores de los demás idiomas no reciben nada.",
	"correct_reach":         "Una corrección de este idioma va a los %s lectores en %s.",
	"correct_reach_one":     "Una corrección de este idioma va al único lector en %s.",
	"correct_reach_none":    "Nadie ha recibido aún el comunicado en %s: una corrección cambia su texto y no envía nada.",
	"editor_note":           "Nota a los lectores",
	"correct_note_hint":     "Opcional: lo que ha cambiado, mostrado al principio del mensaje corregido.",
	"correct_note_alone":    "Una nota requiere un cambio en este idioma.",
	"correct_nothing":       "No se ha cambiado nada: no hay nada que corregir.",
	"correct_confirm_label": "He revisado el texto corregido y a quién va.",
	"correct_stale":         "El comunicado ha cambiado desde que se abrió este formulario. Aquí está tal como es ahora; vuelva a hacer su corrección.",
	"correct_not_published": "Solo se puede corregir un comunicado publicado; este está: %s.",
	"action_correct":        "Enviar la corrección",
	"flash_correct":         "La corrección está registrada; sus lectores reciben el texto corregido.",
}

var moreAR = map[string]string{
	"correct_title":         "تصحيح بيان",
	"release_correct":       "تصحيح",
	"back_release":          "العودة إلى البيان",
	"correct_intro":         "غيّر ما هو خاطئ في كل لغة. لا تُصحَّح إلا اللغات التي تغيّرها، ولا يتلقى النص المصحح إلا قراؤها؛ ولا يتلقى قراء اللغات الأخرى شيئًا.",
	"correct_reach":         "يُرسل تصحيح هذه اللغة إلى %s من القراء بـ%s.",
	"correct_reach_one":     "يُرسل تصحيح هذه اللغة إلى القارئ الوحيد بـ%s.",
	"correct_reach_none":    "لم يتلقَّ أحد البيان بـ%s بعد: التصحيح يغيّر نصه ولا يرسل شيئًا.",
	"editor_note":           "ملاحظة للقراء",
	"correct_note_hint":     "اختياري: ما الذي تغيّر، ويظهر في أعلى الرسالة المصححة.",
	"correct_note_alone":    "تتطلب الملاحظة تغييرًا في هذه اللغة.",
	"correct_nothing":       "لم يتغيّر شيء: لا يوجد ما يُصحَّح.",
	"correct_confirm_label": "راجعت النص المصحح ومن سيتلقاه.",
	"correct_stale":         "تغيّر البيان منذ فتح هذا النموذج. ها هو كما هو الآن؛ أعد التصحيح.",
	"correct_not_published": "لا يمكن تصحيح إلا بيان منشور؛ وهذا البيان: %s.",
	"action_correct":        "إرسال التصحيح",
	"flash_correct":         "سُجّل التصحيح؛ ويتلقى قراؤه النص المصحح.",
}
