// Package demo loads the data `communique dev` shows on a first run:
// member-state missions, journalists across regions and languages, two
// press officers, a draft release and one press-office user per role,
// all at example.org addresses.
package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// ReleaseSlug is the demo release's slug.
const ReleaseSlug = "mauritania-office-agreement"

var topics = []struct{ slug, en, fr string }{
	{"migration-governance", "Migration governance", "Gouvernance des migrations"},
	{"humanitarian-response", "Humanitarian response", "Réponse humanitaire"},
	{"labour-migration", "Labour migration", "Migration de main-d'œuvre"},
	{"climate-mobility", "Climate and mobility", "Climat et mobilité"},
}

// missions are the member states whose permanent missions the demo holds.
var missions = []struct{ country, name, langs, tz string }{
	{"MR", "Mauritania", "fr;ar", "Africa/Nouakchott"}, {"SN", "Senegal", "fr", "Africa/Dakar"},
	{"ML", "Mali", "fr", "Africa/Bamako"}, {"NE", "Niger", "fr", "Africa/Niamey"},
	{"MA", "Morocco", "fr;ar", "Africa/Casablanca"}, {"EG", "Egypt", "ar;en", "Africa/Cairo"},
	{"JO", "Jordan", "ar;en", "Asia/Amman"}, {"LB", "Lebanon", "ar;fr", "Asia/Beirut"},
	{"FR", "France", "fr", "Europe/Paris"}, {"ES", "Spain", "es", "Europe/Madrid"},
	{"DE", "Germany", "en", "Europe/Berlin"}, {"IT", "Italy", "en;fr", "Europe/Rome"},
	{"CH", "Switzerland", "fr;en", "Europe/Zurich"}, {"US", "United States", "en", "America/New_York"},
	{"MX", "Mexico", "es", "America/Mexico_City"}, {"BR", "Brazil", "en;es", "America/Sao_Paulo"},
	{"CO", "Colombia", "es", "America/Bogota"}, {"PH", "Philippines", "en", "Asia/Manila"},
	{"TH", "Thailand", "en", "Asia/Bangkok"}, {"JP", "Japan", "en", "Asia/Tokyo"},
}

var (
	firstNames = []string{"Amina", "Pierre", "Lucía", "Omar", "Fatou", "John", "Sofía", "Karim", "Claire", "Ahmed",
		"Mariana", "Yuki", "Ibrahima", "Hélène", "Diego", "Layla", "Tomás", "Nadia", "Samuel", "Aïcha"}
	lastNames = []string{"Diallo", "Martin", "García", "Haddad", "Ndiaye", "Smith", "López", "Benali", "Dubois",
		"Mansour", "Silva", "Tanaka", "Sow", "Moreau", "Fernández", "Khoury", "Pereira", "Traoré", "Okafor", "Rossi"}
	outlets = []string{"Sahel Daily", "Le Courrier du Fleuve", "Diario del Sur", "Al-Bayan Weekly", "Global Wire",
		"Radio Atlantique", "Crónica Andina", "The Coastal Herald", "Nile Observer", "Pacific Dispatch"}
	// Each journalist's beat: what they subscribe to, where they work and
	// the languages they read, in order.
	beats = []struct{ regions, countries, topics, country, langs, tz string }{
		{"western-africa", "", "", "SN", "fr;en", "Africa/Dakar"},
		{"africa", "", "", "FR", "fr", "Europe/Paris"},
		{"", "MR", "", "MR", "fr;ar", "Africa/Nouakchott"},
		{"", "", "migration-governance", "CH", "en;fr", "Europe/Zurich"},
		{"northern-africa", "", "", "EG", "ar;en", "Africa/Cairo"},
		{"europe", "", "", "ES", "es;en", "Europe/Madrid"},
		{"latin-america-and-the-caribbean", "", "labour-migration", "MX", "es", "America/Mexico_City"},
		{"", "", "humanitarian-response", "US", "en", "America/New_York"},
		{"western-asia", "", "", "JO", "ar", "Asia/Amman"},
		{"sub-saharan-africa", "", "climate-mobility", "GB", "en", "Europe/London"},
	}
)

// User is a demo user of the press office. Their passwords are printed
// by `communique dev` and written here: they are for a first look on
// one's own machine, never for a service others can reach.
type User struct {
	Email, Name, Language, Password string
	Role                            users.Role
}

// Users are the demo users, one per role, each reading the office in
// another language.
var Users = []User{
	{Email: "admin@example.org", Name: "Adèle Martin", Language: "en", Password: "demo-admin-password", Role: users.Admin},
	{Email: "editor@example.org", Name: "Karim Haddad", Language: "ar", Password: "demo-editor-password", Role: users.Editor},
	{Email: "press.officer@example.org", Name: "Nora Belkacem", Language: "fr", Password: "demo-press-officer-password", Role: users.PressOfficer},
	{Email: "viewer@example.org", Name: "Lucía García", Language: "es", Password: "demo-viewer-password", Role: users.Viewer},
}

// Load creates the demo users, contacts, topics and release unless they
// exist.
func Load(ctx context.Context, db *sqlx.DB) error {
	for _, u := range Users {
		_, err := users.ByEmail(ctx, db, u.Email)
		if communique.ErrorCode(err) == communique.ENOTFOUND {
			_, err = users.Create(ctx, db, users.NewUser{Email: u.Email, Name: u.Name, UILanguage: u.Language, Role: u.Role, Password: u.Password})
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.Email, err)
		}
	}
	for _, t := range topics {
		if _, err := db.ExecContext(ctx, `
			INSERT INTO topics (slug, names) VALUES ($1, jsonb_build_object('en', $2::text, 'fr', $3::text))
			ON CONFLICT (slug) DO NOTHING`, t.slug, t.en, t.fr); err != nil {
			return fmt.Errorf("demo topic %s: %w", t.slug, err)
		}
	}
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM releases WHERE slug = $1)`, ReleaseSlug); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := contacts.Import(ctx, db, bytes.NewReader(ContactsCSV()), contacts.ImportOptions{Source: "demo"}); err != nil {
		return fmt.Errorf("demo contacts: %w", err)
	}
	r := Release()
	if _, err := releases.Create(ctx, db, &r); err != nil {
		return fmt.Errorf("demo release: %w", err)
	}
	return nil
}

// ReleaseID returns the demo release's id, or 0.
func ReleaseID(ctx context.Context, db *sqlx.DB) int64 {
	var id int64
	db.GetContext(ctx, &id, `SELECT id FROM releases WHERE slug = $1`, ReleaseSlug)
	return id
}

// ContactsCSV returns the demo contacts in the import format.
func ContactsCSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"email", "name", "kind", "organisation", "country", "languages", "timezone", "verified", "regions", "countries", "topics", "phone", "title"})
	w.Write([]string{"press.officer@example.org", "Nora Belkacem", "press_officer", "Media Office, Geneva", "CH", "fr;en;ar", "Europe/Zurich", "true", "", "", "", "+41 22 555 0101", "Senior Press Officer"})
	w.Write([]string{"media.desk@example.org", "Daniel Ortega Ruiz", "press_officer", "Regional Office for West and Central Africa, Dakar", "SN", "es;en;fr", "Africa/Dakar", "true", "", "", "", "+221 33 555 0102", "Communications Officer"})
	for _, m := range missions {
		slug := strings.ToLower(strings.ReplaceAll(m.name, " ", "-"))
		w.Write([]string{"mission." + slug + "@example.org", "Permanent Mission of " + m.name, "mission",
			"Permanent Mission of " + m.name + " in Geneva", m.country, m.langs, m.tz, "true", "", m.country, "", "", ""})
	}
	for i := 0; i < 50; i++ {
		b := beats[i%len(beats)]
		first, last := firstNames[i%len(firstNames)], lastNames[(i*7)%len(lastNames)]
		email := fmt.Sprintf("%s.%s%d@example.%s", ascii(first), ascii(last), i, []string{"org", "com", "net"}[i%3])
		verified := "false"
		if i%4 == 0 {
			verified = "true"
		}
		w.Write([]string{email, first + " " + last, "journalist", outlets[i%len(outlets)], b.country, b.langs, b.tz,
			verified, b.regions, b.countries, b.topics, "", "Correspondent"})
	}
	w.Flush()
	return buf.Bytes()
}

// ascii lower-cases a name and drops its accents for an address.
func ascii(s string) string {
	r := strings.NewReplacer("é", "e", "è", "e", "í", "i", "á", "a", "ï", "i", "ó", "o", "ú", "u", "ñ", "n", "É", "e")
	return strings.ToLower(r.Replace(s))
}

// Release returns the demo release: a French original with an English
// translation, modelled on an office agreement with Mauritania.
func Release() releases.Release {
	return releases.Release{
		Slug:             ReleaseSlug,
		OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {
				Title:    "La Mauritanie et l'Organisation signent un accord pour un bureau à Nouakchott",
				Summary:  "L'accord ouvre un bureau de l'Organisation dans la capitale mauritanienne et fixe trois axes de coopération.",
				Dateline: "Genève",
				Body: "Le ministre mauritanien des Affaires étrangères et la directrice générale de l'Organisation " +
					"ont signé ce jour à Genève un accord qui établit un bureau de l'Organisation à Nouakchott.\n\n" +
					"« Cet accord traduit la confiance que nous accordent les autorités mauritaniennes, et notre " +
					"volonté commune de placer la protection des personnes migrantes au cœur de notre action », " +
					"a déclaré la directrice générale.\n\n" +
					"La coopération portera d'abord sur :\n\n" +
					"- l'aide au retour volontaire et à la réintégration durable des personnes bloquées en Mauritanie ;\n" +
					"- des campagnes d'information sur les risques des routes migratoires irrégulières ;\n" +
					"- l'appui technique aux services chargés de la gestion des frontières.\n\n" +
					"L'accord accorde au personnel de l'Organisation en Mauritanie les privilèges et immunités " +
					"d'usage. Le texte intégral est disponible sur [le site de l'Organisation](https://www.example.org/accords/mauritanie).",
			},
			"en": {
				Title:    "Mauritania and the Organization sign an agreement for an office in Nouakchott",
				Summary:  "The agreement opens an office of the Organization in the Mauritanian capital and sets three areas of cooperation.",
				Dateline: "Geneva",
				Body: "Mauritania's Minister of Foreign Affairs and the Director General of the Organization signed " +
					"an agreement in Geneva today establishing an office of the Organization in Nouakchott.\n\n" +
					"\"This agreement reflects the trust the Mauritanian authorities place in us, and our shared " +
					"resolve to put the protection of migrants at the heart of our work,\" the Director General said.\n\n" +
					"Cooperation will first cover:\n\n" +
					"- assisted voluntary return and lasting reintegration of people stranded in Mauritania;\n" +
					"- information campaigns on the dangers of irregular migration routes;\n" +
					"- technical support to the services in charge of border management.\n\n" +
					"The agreement grants the Organization's staff in Mauritania the customary privileges and " +
					"immunities. The full text is available on [the Organization's website](https://www.example.org/agreements/mauritania).",
			},
		},
		Regions:         []string{"western-africa"},
		Countries:       []string{"MR"},
		Topics:          []string{"migration-governance"},
		EmbargoAudience: releases.EmbargoAudience{Missions: "concerned"},
		PressContacts:   []string{"press.officer@example.org", "media.desk@example.org"},
	}
}
