package templates_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/communique/communique/mailer"
	"github.com/communique/communique/templates"
)

// benchRecipients are distinct recipients with what the dispatcher makes
// per message (Message-ID, unsubscribe links), built outside the timing.
type benchRecipient struct {
	rc      templates.Recipient
	headers templates.Headers
}

func benchSetup(b *testing.B, variant, lang string) (*templates.Prepared, []benchRecipient) {
	b.Helper()
	r := templates.Release{
		ID: 42, Slug: "mauritania-office-agreement", Language: lang,
		Title:    "Mauritanie : l'AIM ouvrira un bureau à Nouakchott",
		Summary:  "Un accord signé à Genève prévoit l'ouverture du bureau en 2027.",
		Dateline: "Genève", PublishedAt: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC),
		Body: "L'Agence internationale pour la mobilité (AIM) et le Gouvernement de la République islamique de Mauritanie " +
			"ont conclu aujourd'hui un accord.\n\n## Domaines\n\n- l'accueil ;\n- la formation ;\n- les données.\n\n" +
			"Le texte est sur [le site](https://www.example.org/fr/accord).\n",
		PressContacts: []templates.PressContact{
			{Name: "Awa Exemple", Title: "Chargée de communication", Organisation: "AIM Nouakchott", Phone: "+222 45 00 00 00", Email: "awa.exemple@example.org"},
			{Name: "Jean Modèle", Title: "Porte-parole", Organisation: "AIM Genève", Phone: "+41 22 000 00 00", Email: "presse@example.org"},
		},
		EmbargoUntil: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	}
	p, err := templates.Prepare(variant, r)
	if err != nil {
		b.Fatal(err)
	}
	zones := []string{"Europe/Paris", "Africa/Nouakchott", "America/New_York", "Asia/Riyadh", "UTC"}
	rs := make([]benchRecipient, 1024)
	for i := range rs {
		tok := fmt.Sprintf("%x", i*7919+1_000_003)
		rs[i] = benchRecipient{
			rc: templates.Recipient{
				Name: fmt.Sprintf("Journaliste Numéro %d", i), Email: fmt.Sprintf("journaliste%d@example.com", i),
				UnsubscribeURL: "https://news.example.org/unsubscribe/" + tok, TimeZone: zones[i%len(zones)],
			},
			headers: templates.Headers{
				FromName: "Media Office", FromEmail: "media@example.org", ReplyTo: "awa.exemple@example.org",
				MessageID: fmt.Sprintf("delivery-%d.release-42@example.org", i), Date: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
				ListID:           "Media Office <releases.example.org>",
				UnsubscribeHTTPS: "https://news.example.org/unsubscribe/" + tok, UnsubscribeMailto: "mailto:unsubscribe+" + tok + "@example.org",
			},
		}
	}
	return p, rs
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkMessage measures the per-recipient cost of complete,
// personalised MIME bytes ready for SMTP's DATA: the lean writer of this
// package against go-mail's (what the dispatcher used first). Run on one
// core for the per-core figure:
//
//	go test ./templates/ -run '^$' -bench Message -benchmem -cpu 1
func BenchmarkMessage(b *testing.B) {
	for _, c := range []struct{ variant, lang string }{
		{templates.VariantPublic, "fr"},
		{templates.VariantEmbargoed, "ar"},
	} {
		b.Run("lean/"+c.variant+"/"+c.lang, func(b *testing.B) {
			p, rs := benchSetup(b, c.variant, c.lang)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := &rs[i%len(rs)]
				if err := p.WriteMessage(io.Discard, r.headers, r.rc); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportRate(b)
		})
		b.Run("gomail/"+c.variant+"/"+c.lang, func(b *testing.B) {
			p, rs := benchSetup(b, c.variant, c.lang)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := &rs[i%len(rs)]
				h := &r.headers
				m := &mailer.Message{
					FromName: h.FromName, FromEmail: h.FromEmail, ToName: r.rc.Name, ToEmail: r.rc.Email,
					ReplyTo: h.ReplyTo, MessageID: h.MessageID, ListID: h.ListID, Language: p.Language(),
					UnsubscribeHTTPS: h.UnsubscribeHTTPS, UnsubscribeMailto: h.UnsubscribeMailto,
					Subject: p.Subject(), Date: h.Date,
				}
				m.Text, m.HTML = p.Personalize(r.rc)
				msg, err := mailer.Build(m)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := msg.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportRate(b)
		})
	}
}
