package templates

import (
	"time"

	"golang.org/x/text/language"
)

// The sample release is fictional: an agency opening an office in
// Nouakchott. Overrides are rendered against it when saved, and the golden
// files show it; its text is in each built-in language so a reviewer
// reads every message as its recipients would.
type sampleText struct {
	title, summary, dateline, body string
	contacts                       []PressContact
	correction, recall             string
}

var sampleTexts = map[string]sampleText{
	"en": {
		title:    "Mauritania: IMA to open an office in Nouakchott",
		summary:  "An agreement signed in Geneva provides for the office to open in 2027.",
		dateline: "Geneva",
		body: `The International Mobility Agency (IMA) and the Government of the Islamic
Republic of Mauritania today concluded an agreement to open an IMA office in
**Nouakchott** in the first half of 2027.

![Signing of the agreement in Geneva](https://www.example.org/media/mauritania-signing.jpg)

"This office brings us closer to the communities we serve," said IMA
Director General Claire Example. "We will work day to day with the
Mauritanian authorities and civil society."

## Areas of cooperation

The office will first focus on:

1. reception and guidance of migrants in vulnerable situations;
2. training of border officials, together with national services;
3. collecting reliable data on population movements.

## The office in figures

| Team | Staff in 2027 | Staff in 2028 |
|:--|--:|--:|
| Reception and guidance | 8 | 14 |
| Border training | 4 | 6 |
| Data | 2 | 3 |

The office will be reachable on +222 45 25 00 00 and at
nouakchott@example.org from March 2027. The text of the agreement is
available on [the IMA website](https://www.example.org/en/mauritania-agreement).

###
`,
		contacts: []PressContact{
			{Name: "Awa Example", Title: "Communications Officer", Organisation: "IMA Nouakchott", Phone: "+222 45 00 00 00", Email: "awa.example@example.org"},
			{Name: "John Model", Title: "Spokesperson", Organisation: "IMA Geneva", Phone: "+41 22 000 00 00", Email: "press@example.org"},
		},
		correction: "The name of the Director General has been corrected.",
		recall:     "The release was sent before the agreement was signed.",
	},
	"fr": {
		title:    "Mauritanie : l'AIM ouvrira un bureau à Nouakchott",
		summary:  "Un accord signé à Genève prévoit l'ouverture du bureau en 2027.",
		dateline: "Genève",
		body: `L'Agence internationale pour la mobilité (AIM) et le Gouvernement de la
République islamique de Mauritanie ont conclu aujourd'hui un accord qui
permettra l'ouverture d'un bureau de l'AIM à **Nouakchott** au premier
semestre 2027.

![Signature de l'accord à Genève](https://www.example.org/media/mauritania-signing.jpg)

« Ce bureau nous rapprochera des communautés que nous servons », a indiqué
la directrice générale de l'AIM, Claire Exemple. « Nous travaillerons au
quotidien avec les autorités mauritaniennes et la société civile. »

## Domaines de coopération

Le bureau concentrera d'abord ses activités sur :

- l'accueil et l'orientation des personnes migrantes en situation de
  vulnérabilité ;
- la formation des agents aux frontières, avec les services nationaux ;
- la collecte de données fiables sur les mouvements de population.

## Le bureau en chiffres

| Équipe | Effectif 2027 | Effectif 2028 |
|:--|--:|--:|
| Accueil et orientation | 8 | 14 |
| Formation aux frontières | 4 | 6 |
| Données | 2 | 3 |

Le bureau sera joignable au +222 45 25 00 00 et à l'adresse
nouakchott@example.org à partir de mars 2027. Le texte de l'accord est
disponible sur [le site de l'AIM](https://www.example.org/fr/accord-mauritanie).

###
`,
		contacts: []PressContact{
			{Name: "Awa Exemple", Title: "Chargée de communication", Organisation: "AIM Nouakchott", Phone: "+222 45 00 00 00", Email: "awa.exemple@example.org"},
			{Name: "Jean Modèle", Title: "Porte-parole", Organisation: "AIM Genève", Phone: "+41 22 000 00 00", Email: "presse@example.org"},
		},
		correction: "Le nom de la directrice générale a été corrigé.",
		recall:     "Le communiqué a été envoyé avant la signature de l'accord.",
	},
	"es": {
		title:    "Mauritania: la AIM abrirá una oficina en Nuakchot",
		summary:  "Un acuerdo firmado en Ginebra prevé la apertura de la oficina en 2027.",
		dateline: "Ginebra",
		body: `La Agencia Internacional para la Movilidad (AIM) y el Gobierno de la
República Islámica de Mauritania han firmado hoy un acuerdo para abrir una
oficina de la AIM en **Nuakchot** durante el primer semestre de 2027.

![Firma del acuerdo en Ginebra](https://www.example.org/media/mauritania-signing.jpg)

«Esta oficina nos acercará a las comunidades a las que servimos», declaró
la directora general de la AIM, Claire Ejemplo. «Trabajaremos a diario con
las autoridades mauritanas y con la sociedad civil».

## Ámbitos de cooperación

En un primer momento, la oficina se centrará en:

- la acogida y orientación de las personas migrantes en situación de
  vulnerabilidad;
- la formación de los agentes de fronteras, junto con los servicios nacionales;
- la recopilación de datos fiables sobre los movimientos de población.

## La oficina en cifras

| Equipo | Personal en 2027 | Personal en 2028 |
|:--|--:|--:|
| Acogida y orientación | 8 | 14 |
| Formación en fronteras | 4 | 6 |
| Datos | 2 | 3 |

La oficina podrá contactarse en el +222 45 25 00 00 y en
nouakchott@example.org a partir de marzo de 2027. El texto del acuerdo está
disponible en [el sitio web de la AIM](https://www.example.org/es/acuerdo-mauritania).

###
`,
		contacts: []PressContact{
			{Name: "Awa Ejemplo", Title: "Responsable de comunicación", Organisation: "AIM Nuakchot", Phone: "+222 45 00 00 00", Email: "awa.ejemplo@example.org"},
			{Name: "Juan Modelo", Title: "Portavoz", Organisation: "AIM Ginebra", Phone: "+41 22 000 00 00", Email: "prensa@example.org"},
		},
		correction: "Se ha corregido el nombre de la directora general.",
		recall:     "El comunicado se envió antes de la firma del acuerdo.",
	},
	"ar": {
		title:    "موريتانيا: الوكالة الدولية للتنقل تفتتح مكتبًا في نواكشوط",
		summary:  "اتفاق وُقّع في جنيف ينص على افتتاح المكتب في عام 2027.",
		dateline: "جنيف",
		body: `أبرمت الوكالة الدولية للتنقل وحكومة الجمهورية الإسلامية الموريتانية اليوم
اتفاقًا يتيح افتتاح مكتب للوكالة في **نواكشوط** خلال النصف الأول من عام 2027.

![توقيع الاتفاق في جنيف](https://www.example.org/media/mauritania-signing.jpg)

وقالت المديرة العامة للوكالة، كلير مثال: «سيقرّبنا هذا المكتب من المجتمعات
التي نخدمها، وسنعمل يوميًا مع السلطات الموريتانية والمجتمع المدني».

## مجالات التعاون

سيركّز المكتب في البداية على ما يلي:

- استقبال المهاجرين الذين يعيشون أوضاعًا هشة وتوجيههم؛
- تدريب موظفي الحدود بالتعاون مع الأجهزة الوطنية؛
- جمع بيانات موثوقة عن حركة السكان.

## المكتب بالأرقام

| الفريق | عدد الموظفين في 2027 | عدد الموظفين في 2028 |
|---|---|---|
| الاستقبال والتوجيه | 8 | 14 |
| تدريب موظفي الحدود | 4 | 6 |
| البيانات | 2 | 3 |

سيكون الاتصال بالمكتب ممكنًا على الرقم +222 45 25 00 00 وعلى العنوان
nouakchott@example.org اعتبارًا من مارس 2027. نص الاتفاق متاح على
[موقع الوكالة](https://www.example.org/ar/mauritania-agreement).

###
`,
		contacts: []PressContact{
			{Name: "عوا مثال", Title: "مسؤولة الاتصال", Organisation: "مكتب الوكالة في نواكشوط", Phone: "+222 45 00 00 00", Email: "awa.example@example.org"},
			{Name: "John Model", Title: "المتحدث الرسمي", Organisation: "الوكالة في جنيف", Phone: "+41 22 000 00 00", Email: "press@example.org"},
		},
		correction: "تم تصحيح اسم المديرة العامة.",
		recall:     "أُرسل البيان قبل توقيع الاتفاق.",
	},
}

// Sample times: published in Geneva, an embargo lifting four days later,
// postponed by a day.
var (
	sampleGeneva       = time.FixedZone("CET", 3600)
	samplePublished    = time.Date(2026, time.November, 27, 11, 0, 0, 0, sampleGeneva)
	sampleEmbargo      = time.Date(2026, time.December, 1, 9, 0, 0, 0, time.UTC)
	samplePrevEmbargo  = time.Date(2026, time.November, 30, 9, 0, 0, 0, time.UTC)
	sampleRecipientsTZ = map[string]string{"en": "America/New_York", "fr": "Europe/Paris", "es": "America/Mexico_City", "ar": "Asia/Riyadh"}
)

// sampleRelease returns the sample release in lang, with every optional
// field set for variant; a language without sample text gets the English
// text under its own tag.
func sampleRelease(lang, variant string) Release {
	base := lang
	if tag, err := language.Parse(lang); err == nil {
		b, _ := tag.Base()
		base = b.String()
	}
	t, ok := sampleTexts[base]
	if !ok {
		t = sampleTexts["en"]
	}
	r := Release{
		ID: 42, Slug: "mauritania-office-agreement", Language: lang,
		Title: t.title, Summary: t.summary, Dateline: t.dateline, Body: t.body,
		PublishedAt:   samplePublished,
		PressContacts: append([]PressContact(nil), t.contacts...),
		Greeting:      true,
		URL:           "https://news.example.org/releases/mauritania-office-agreement?lang=" + lang,
	}
	switch variant {
	case VariantEmbargoed:
		// Dated the day it becomes public, at the place of its dateline.
		r.EmbargoUntil, r.PublishedAt = sampleEmbargo, sampleEmbargo.In(sampleGeneva)
	case VariantEmbargoChanged:
		r.EmbargoUntil, r.PreviousEmbargoUntil = sampleEmbargo, samplePrevEmbargo
		r.PublishedAt = sampleEmbargo.In(sampleGeneva)
	case VariantCorrection:
		r.CorrectionNote = t.correction
	case VariantRecall:
		r.RecallNote = t.recall
	}
	return r
}

// minimalRelease is the sample with every optional field empty, which is
// where templates that assume a summary or a first contact fail.
func minimalRelease(lang, variant string) Release {
	r := sampleRelease(lang, variant)
	r.Summary, r.Dateline, r.PressContacts = "", "", nil
	r.CorrectionNote, r.RecallNote, r.PreviousEmbargoUntil = "", "", time.Time{}
	r.Greeting = false
	r.Body = "."
	return r
}

// sampleRecipient is who sample messages go to: named, with a footer, in
// a time zone that is not UTC.
func sampleRecipient(lang string) Recipient {
	tz := sampleRecipientsTZ[lang]
	if tz == "" {
		tz = "Europe/Paris"
	}
	return Recipient{
		Name: "Ana Silva", Email: "ana.silva@example.com", TimeZone: tz,
		UnsubscribeURL: "https://news.example.org/unsubscribe/tok123?list=press&lang=" + lang,
		PreviewURL:     "https://news.example.org/preview/prv456",
	}
}
