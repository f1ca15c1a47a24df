package templates

import (
	"github.com/go-playground/locales/ar"
	"github.com/go-playground/locales/en_GB"
	"github.com/go-playground/locales/es"
	"github.com/go-playground/locales/fr"
)

// labelSets holds the built-in languages. Wording follows each language's
// press-release conventions: the embargo markers are the ones newsrooms
// search for, in capitals, followed by the lift time.
var labelSets = map[string]*labels{
	"en": {
		Dir: "ltr", Start: "left", End: "right",
		Comma:           ",",
		ListSep:         ", ",
		Quote:           around{"“", "”"},
		SubjectSep:      ": ",
		Greeting:        around{"Dear ", ","},
		GreetingNeutral: "Dear Sir or Madam,",
		ContactHeading:  "For more information, please contact:",
		Phone:           "Tel.:",
		Email:           "E-mail:",
		Colon:           ": ",
		Image:           around{"[Image: ", "]"},
		ImageUntitled:   "[Image]",
		SentTo:          around{"This message was sent to ", "."},
		Unsubscribe:     "Unsubscribe",
		ViewOnline:      "Read this release online",
		Media:           "Photos and documents",
		PreviewLink:     "Read the release online before the lift (this link is yours alone)",
		At:              " at ",
		UTC:             "UTC",

		Embargoed:   "EMBARGOED UNTIL",
		EmbargoRule: "Not for publication, broadcast or posting online before this time.",
		YourTime:    "In your time zone:",

		Corrected:          "CORRECTION",
		CorrectionReplaces: around{"This corrected version replaces the release sent on ", ". Please use it instead."},
		CorrectionNote:     "What changed:",

		Recalled:   "PLEASE DISREGARD",
		RecallText: around{"Please disregard the press release ", ", which has been withdrawn. It must not be published, broadcast or quoted."},
		RecallSent: around{"It was sent on ", "."},
		RecallNote: "Reason:",
		Apology:    "We apologise for any inconvenience.",

		EmbargoChanged:     "EMBARGO CHANGED",
		EmbargoChangedText: around{"The embargo on the press release ", " has changed."},
		NewLift:            "Now embargoed until:",
		PreviousLift:       "Previously:",

		ConfirmSubject:  "Please confirm your subscription to our press releases",
		ConfirmHeading:  "Confirm your subscription",
		ConfirmText:     "You asked to receive our press releases by e-mail. Please confirm your subscription:",
		ConfirmButton:   "Confirm my subscription",
		ConfirmFallback: "If the button does not work, copy this address into your browser:",
		ConfirmIgnore:   "If you did not ask for this, ignore this message: you will not be subscribed.",

		// en_GB, not en: CLDR's "en" long date is the US "November 27, 2026",
		// while releases from Geneva are dated "27 November 2026".
		date: en_GB.New(),
	},
	"fr": {
		Dir: "ltr", Start: "left", End: "right",
		Comma:           ",",
		ListSep:         ", ",
		Quote:           around{"«" + nbsp, nbsp + "»"},
		SubjectSep:      nbsp + ": ",
		Greeting:        around{"Bonjour ", ","},
		GreetingNeutral: "Madame, Monsieur,",
		ContactHeading:  "Pour plus d'informations, veuillez contacter" + nbsp + ":",
		Phone:           "Tél." + nbsp + ":",
		Email:           "Courriel" + nbsp + ":",
		Colon:           nbsp + ": ",
		Image:           around{"[Image" + nbsp + ": ", "]"},
		ImageUntitled:   "[Image]",
		SentTo:          around{"Ce message a été envoyé à ", "."},
		Unsubscribe:     "Se désabonner",
		ViewOnline:      "Lire ce communiqué en ligne",
		Media:           "Photos et documents",
		PreviewLink:     "Lire le communiqué en ligne avant la levée de l’embargo (ce lien vous est personnel)",
		At:              " à ",
		UTC:             "UTC",

		Embargoed:   "SOUS EMBARGO JUSQU'AU",
		EmbargoRule: "Publication, diffusion et mise en ligne interdites avant cette date et cette heure.",
		YourTime:    "Dans votre fuseau horaire" + nbsp + ":",

		Corrected:          "CORRECTIF",
		CorrectionReplaces: around{"Cette version corrigée remplace le communiqué envoyé le ", ". Merci de l'utiliser à sa place."},
		CorrectionNote:     "Ce qui a changé" + nbsp + ":",

		Recalled:   "À NE PAS PRENDRE EN COMPTE",
		RecallText: around{"Veuillez ne pas tenir compte du communiqué ", ", qui a été retiré. Il ne doit être ni publié, ni diffusé, ni cité."},
		RecallSent: around{"Il avait été envoyé le ", "."},
		RecallNote: "Motif" + nbsp + ":",
		Apology:    "Nous vous prions de nous excuser pour ce désagrément.",

		EmbargoChanged:     "EMBARGO MODIFIÉ",
		EmbargoChangedText: around{"L'embargo sur le communiqué ", " a été modifié."},
		NewLift:            "Désormais sous embargo jusqu'au" + nbsp + ":",
		PreviousLift:       "Auparavant" + nbsp + ":",

		ConfirmSubject:  "Veuillez confirmer votre abonnement à nos communiqués de presse",
		ConfirmHeading:  "Confirmez votre abonnement",
		ConfirmText:     "Vous avez demandé à recevoir nos communiqués de presse par courriel. Veuillez confirmer votre abonnement" + nbsp + ":",
		ConfirmButton:   "Confirmer mon abonnement",
		ConfirmFallback: "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur" + nbsp + ":",
		ConfirmIgnore:   "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message" + nbsp + ": aucun abonnement ne sera créé.",

		date: fr.New(),
	},
	"es": {
		Dir: "ltr", Start: "left", End: "right",
		Comma:           ",",
		ListSep:         ", ",
		Quote:           around{"«", "»"},
		SubjectSep:      ": ",
		Greeting:        around{"Buenos días, ", ":"},
		GreetingNeutral: "Buenos días:",
		ContactHeading:  "Para más información, póngase en contacto con:",
		Phone:           "Tel.:",
		Email:           "Correo electrónico:",
		Colon:           ": ",
		Image:           around{"[Imagen: ", "]"},
		ImageUntitled:   "[Imagen]",
		SentTo:          around{"Este mensaje se envió a ", "."},
		Unsubscribe:     "Cancelar la suscripción",
		ViewOnline:      "Leer este comunicado en línea",
		Media:           "Fotos y documentos",
		PreviewLink:     "Leer el comunicado en línea antes del fin del embargo (este enlace es solo para usted)",
		At:              ", ",
		UTC:             "UTC",

		Embargoed:   "BAJO EMBARGO HASTA EL",
		EmbargoRule: "Prohibida su publicación, difusión o puesta en línea antes de esa fecha y hora.",
		YourTime:    "En su zona horaria:",

		Corrected:          "CORRECCIÓN",
		CorrectionReplaces: around{"Esta versión corregida sustituye al comunicado enviado el ", ". Le rogamos que utilice esta versión."},
		CorrectionNote:     "Cambios:",

		Recalled:   "SE RUEGA HACER CASO OMISO",
		RecallText: around{"Le rogamos que haga caso omiso del comunicado ", ", que ha sido retirado. No debe publicarse, difundirse ni citarse."},
		RecallSent: around{"Se envió el ", "."},
		RecallNote: "Motivo:",
		Apology:    "Disculpe las molestias.",

		EmbargoChanged:     "EMBARGO MODIFICADO",
		EmbargoChangedText: around{"Se ha modificado el embargo del comunicado ", "."},
		NewLift:            "Ahora bajo embargo hasta el:",
		PreviousLift:       "Antes:",

		ConfirmSubject:  "Confirme su suscripción a nuestros comunicados de prensa",
		ConfirmHeading:  "Confirme su suscripción",
		ConfirmText:     "Ha solicitado recibir nuestros comunicados de prensa por correo electrónico. Le rogamos que confirme su suscripción:",
		ConfirmButton:   "Confirmar mi suscripción",
		ConfirmFallback: "Si el botón no funciona, copie esta dirección en su navegador:",
		ConfirmIgnore:   "Si usted no lo ha solicitado, ignore este mensaje: no se creará ninguna suscripción.",

		date: es.New(),
	},
	"ar": {
		Dir: "rtl", Start: "right", End: "left",
		Comma:           "،",
		ListSep:         "، ",
		Quote:           around{"«", "»"},
		SubjectSep:      ": ",
		Greeting:        around{"السيد/السيدة ", "،"},
		GreetingNeutral: "تحية طيبة وبعد،",
		ContactHeading:  "لمزيد من المعلومات، يرجى الاتصال بـ:",
		Phone:           "الهاتف:",
		Email:           "البريد الإلكتروني:",
		Colon:           ": ",
		Image:           around{"[صورة: ", "]"},
		ImageUntitled:   "[صورة]",
		Isolate:         around{lri, pdi},
		SentTo:          around{"أُرسلت هذه الرسالة إلى ", "."},
		Unsubscribe:     "إلغاء الاشتراك",
		ViewOnline:      "اقرأ هذا البيان على الموقع",
		Media:           "الصور والوثائق",
		PreviewLink:     "اقرأ البيان على الموقع قبل رفع الحظر (هذا الرابط خاص بك)",
		At:              " في ",
		UTC:             "UTC",

		Embargoed:   "محظور النشر حتى",
		EmbargoRule: "يُحظر نشره أو بثه أو وضعه على الإنترنت قبل هذا الموعد.",
		YourTime:    "بتوقيتكم المحلي:",

		Corrected:          "تصحيح",
		CorrectionReplaces: around{"تحل هذه النسخة المصححة محل البيان المرسل في ", ". يرجى استخدامها بدلًا منه."},
		CorrectionNote:     "التعديلات:",

		Recalled:   "يرجى التجاهل",
		RecallText: around{"يرجى تجاهل البيان الصحفي ", " الذي تم سحبه، ولا يجوز نشره أو بثه أو الاقتباس منه."},
		RecallSent: around{"وقد أُرسل في ", "."},
		RecallNote: "السبب:",
		Apology:    "نعتذر عن أي إزعاج.",

		EmbargoChanged:     "تعديل موعد الحظر",
		EmbargoChangedText: around{"تم تعديل موعد رفع الحظر عن البيان الصحفي ", "."},
		NewLift:            "محظور النشر الآن حتى:",
		PreviousLift:       "الموعد السابق:",

		ConfirmSubject:  "يرجى تأكيد اشتراككم في بياناتنا الصحفية",
		ConfirmHeading:  "تأكيد الاشتراك",
		ConfirmText:     "لقد طلبتم تلقي بياناتنا الصحفية عبر البريد الإلكتروني. يرجى تأكيد اشتراككم:",
		ConfirmButton:   "تأكيد اشتراكي",
		ConfirmFallback: "إذا لم يعمل الزر، انسخوا هذا العنوان في متصفحكم:",
		ConfirmIgnore:   "إذا لم تطلبوا ذلك، فتجاهلوا هذه الرسالة: لن يُسجَّل أي اشتراك.",

		date: ar.New(),
	},
}
