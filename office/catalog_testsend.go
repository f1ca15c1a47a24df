package office

// The texts of the test send and of the recall's confirmation join the
// catalog as the release pages' do.
func init() {
	for lang, texts := range map[string]map[string]string{"en": testSendEN, "fr": testSendFR, "es": testSendES, "ar": testSendAR} {
		for k, v := range texts {
			catalog[lang][k] = v
		}
	}
}

var testSendEN = map[string]string{
	"recall_reach":               "%s people received it: each is sent a notice asking them to disregard it. Sends not yet made stop.",
	"recall_reach_one":           "One person received it and is sent a notice asking them to disregard it. Sends not yet made stop.",
	"recall_reach_none":          "Nobody has received it yet: recalling stops its sends and sends nothing.",
	"recall_confirm_label":       "I understand that recalling cannot be undone.",
	"testsend_title":             "Send a test",
	"testsend_hint":              "Each language of the public release, and of the embargoed notice while an embargo is set, goes to each address, marked [TEST]. To your own address unless you list others: at most %d, separated by commas.",
	"testsend_label":             "Send the test to",
	"testsend_button":            "Send a test",
	"testsend_too_many":          "at most %d addresses, not %d.",
	"testsend_bad_address":       "%q is not an e-mail address.",
	"testsend_twice":             "%q is listed twice.",
	"testsend_variant_public":    "public",
	"testsend_variant_embargoed": "embargoed",
	"testsend_queued":            "%s test messages queued to %s: %s, %s.",
	"testsend_queued_one":        "%s test message queued to %s: %s, %s.",
	"flash_test":                 "%s",
}

var testSendFR = map[string]string{
	"recall_reach":               "%s personnes l'ont reçu : chacune reçoit un avis lui demandant de ne pas en tenir compte. Les envois restants s'arrêtent.",
	"recall_reach_one":           "Une personne l'a reçu et reçoit un avis lui demandant de ne pas en tenir compte. Les envois restants s'arrêtent.",
	"recall_reach_none":          "Personne ne l'a encore reçu : le retrait arrête ses envois et n'envoie rien.",
	"recall_confirm_label":       "Je comprends que le retrait est définitif.",
	"testsend_title":             "Envoyer un test",
	"testsend_hint":              "Chaque langue du communiqué public, et de l'avis sous embargo tant qu'un embargo est fixé, part à chaque adresse, marquée [TEST]. À votre propre adresse, sauf si vous en indiquez d'autres : %d au plus, séparées par des virgules.",
	"testsend_label":             "Envoyer le test à",
	"testsend_button":            "Envoyer un test",
	"testsend_too_many":          "%d adresses au plus, et non %d.",
	"testsend_bad_address":       "%q n'est pas une adresse électronique.",
	"testsend_twice":             "%q figure deux fois.",
	"testsend_variant_public":    "public",
	"testsend_variant_embargoed": "sous embargo",
	"testsend_queued":            "%s messages de test en file pour %s : %s, %s.",
	"testsend_queued_one":        "%s message de test en file pour %s : %s, %s.",
	"flash_test":                 "%s",
}

var testSendES = map[string]string{
	"recall_reach":               "%s personas lo recibieron: cada una recibe un aviso que le pide no tenerlo en cuenta. Los envíos pendientes se detienen.",
	"recall_reach_one":           "Una persona lo recibió y recibe un aviso que le pide no tenerlo en cuenta. Los envíos pendientes se detienen.",
	"recall_reach_none":          "Nadie lo ha recibido todavía: retirarlo detiene sus envíos y no envía nada.",
	"recall_confirm_label":       "Entiendo que el retiro no se puede deshacer.",
	"testsend_title":             "Enviar una prueba",
	"testsend_hint":              "Cada idioma del comunicado público, y del aviso bajo embargo mientras haya un embargo, se envía a cada dirección, marcado [TEST]. A su propia dirección, salvo que indique otras: %d como máximo, separadas por comas.",
	"testsend_label":             "Enviar la prueba a",
	"testsend_button":            "Enviar una prueba",
	"testsend_too_many":          "%d direcciones como máximo, no %d.",
	"testsend_bad_address":       "%q no es una dirección de correo electrónico.",
	"testsend_twice":             "%q figura dos veces.",
	"testsend_variant_public":    "público",
	"testsend_variant_embargoed": "bajo embargo",
	"testsend_queued":            "%s mensajes de prueba en cola para %s: %s, %s.",
	"testsend_queued_one":        "%s mensaje de prueba en cola para %s: %s, %s.",
	"flash_test":                 "%s",
}

var testSendAR = map[string]string{
	"recall_reach":               "تلقاه %s شخصًا: يُرسل إلى كل منهم إشعار يطلب تجاهله. وتتوقف الإرسالات المتبقية.",
	"recall_reach_one":           "تلقاه شخص واحد، ويُرسل إليه إشعار يطلب تجاهله. وتتوقف الإرسالات المتبقية.",
	"recall_reach_none":          "لم يتلقه أحد بعد: السحب يوقف إرساله ولا يرسل شيئًا.",
	"recall_confirm_label":       "أفهم أن السحب لا يمكن التراجع عنه.",
	"testsend_title":             "إرسال تجريبي",
	"testsend_hint":              "تُرسل كل لغة من البيان العام، ومن الإشعار المحظور ما دام هناك حظر، إلى كل عنوان مع العلامة [TEST]. إلى عنوانك ما لم تذكر عناوين أخرى: %d على الأكثر، تفصل بينها فواصل.",
	"testsend_label":             "إرسال التجربة إلى",
	"testsend_button":            "إرسال تجريبي",
	"testsend_too_many":          "%d عناوين على الأكثر، لا %d.",
	"testsend_bad_address":       "%q ليس عنوان بريد إلكتروني.",
	"testsend_twice":             "%q مذكور مرتين.",
	"testsend_variant_public":    "العام",
	"testsend_variant_embargoed": "المحظور",
	"testsend_queued":            "%s رسائل تجريبية في قائمة الإرسال إلى %s: %s، %s.",
	"testsend_queued_one":        "%s رسالة تجريبية في قائمة الإرسال إلى %s: %s، %s.",
	"flash_test":                 "%s",
}
