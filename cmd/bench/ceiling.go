package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/tracking"
)

// ceilingChunk is the dispatcher's chunk: the same number of messages per
// SendInto call, so the ceiling pays the same per-call costs.
const ceilingChunk = dispatcher.Chunk

// ceilingBase is the base URL the dispatch processes link to: they run
// without -base-url, so they use their default listening address.
const ceilingBase = "http://127.0.0.1:8080"

// ceilingMessages renders the release once per language with the
// templates package, as the dispatcher's render cache does, and keeps
// what each recipient's message needs.
type ceilingMessages struct {
	langs    []string
	prepared map[string]*templates.Prepared
	prebuilt map[string][]byte // one whole message per language
	signer   *links.Signer
	tracking releases.Tracking
	release  int64
}

func prepareCeiling(ctx context.Context, db *sqlx.DB, id int64) (*ceilingMessages, error) {
	rel, err := releases.Get(ctx, db, id)
	if err != nil {
		return nil, err
	}
	pcs, err := templates.LoadPressContacts(ctx, db, id)
	if err != nil {
		return nil, err
	}
	// What the dispatcher renders with: the templates and the branding.
	ov, err := branding.LoadOverrides(ctx, db, ceilingBase)
	if err != nil {
		return nil, err
	}
	published := time.Now()
	if rel.PublishedAt != nil {
		published = *rel.PublishedAt
	}
	m := &ceilingMessages{prepared: map[string]*templates.Prepared{}, prebuilt: map[string][]byte{},
		signer: links.NewSigner(benchSecret), tracking: rel.Tracking, release: id}
	for lang, tr := range rel.Translations {
		p, err := templates.PrepareContext(ctx, ov, templates.VariantPublic, templates.Release{
			ID: rel.ID, Slug: rel.Slug, Language: lang,
			Title: tr.Title, Summary: tr.Summary, Body: tr.Body, Dateline: tr.Dateline,
			PublishedAt: published, PressContacts: pcs, Greeting: rel.Greeting,
			URL: ceilingBase + "/releases/" + rel.Slug + "?lang=" + lang,
		})
		if err != nil {
			return nil, fmt.Errorf("ceiling: render %s: %w", lang, err)
		}
		m.langs = append(m.langs, lang)
		m.prepared[lang] = p
	}
	sort.Strings(m.langs)
	for _, lang := range m.langs {
		data, err := m.compose(lang, 1, nil)
		if err != nil {
			return nil, err
		}
		m.prebuilt[lang] = data
	}
	return m, nil
}

// compose builds recipient i's message the way a dispatcher worker does:
// a signed unsubscribe link, tracking links when the release counts
// opens or clicks, and the per-recipient headers.
func (m *ceilingMessages) compose(lang string, i int64, buf []byte) ([]byte, error) {
	email := fmt.Sprintf("reader%d@example.net", i)
	tok := m.signer.Token("unsubscribe", i, time.Time{})
	rc := templates.Recipient{Name: fmt.Sprintf("Reader %d", i), Email: email, TimeZone: "Europe/Paris",
		UnsubscribeURL: ceilingBase + "/unsubscribe/" + tok}
	if m.tracking.Opens || m.tracking.Clicks {
		rc.Track = &templates.Tracking{}
		if m.tracking.Opens {
			rc.Track.Pixel = tracking.OpenURL(ceilingBase, m.signer, i)
		}
		if m.tracking.Clicks {
			rc.Track.Click = func(target string) string { return tracking.ClickURL(ceilingBase, m.signer, i, target) }
		}
	}
	h := templates.Headers{
		FromName: "Media Office", FromEmail: "media@example.org",
		ReplyTo:           "press.officer@example.org",
		MessageID:         fmt.Sprintf("delivery-%d.release-%d@example.org", i, m.release),
		ListID:            "Media Office <releases.example.org>",
		Date:              time.Now(),
		UnsubscribeHTTPS:  rc.UnsubscribeURL,
		UnsubscribeMailto: "mailto:unsubscribe+" + tok + "@example.org",
	}
	return m.prepared[lang].AppendMessage(buf, h, rc)
}

// ceiling sends n messages to the sink from this process (see blast) and
// returns messages per second, first send to last message received.
func ceiling(ctx context.Context, s *sink, m *ceilingMessages, n, conc int, composeEach bool) (float64, error) {
	s.start(time.Now())
	if err := blast(ctx, s.addr, m, n, conc, window, composeEach); err != nil {
		return 0, err
	}
	rate, err := s.rate(n)
	if err != nil {
		return 0, fmt.Errorf("ceiling: %w", err)
	}
	return rate, nil
}

// blast sends n messages to the SMTP server at addr over conc connections
// of one mailer pool, through the raw pipelined send the dispatcher's
// workers use, in chunks of the dispatcher's size, with no database or
// NATS. With composeEach, every message is composed for its recipient as
// a worker composes it; without, each language's message is built once
// and only the envelope changes.
func blast(ctx context.Context, addr string, m *ceilingMessages, n, conc, window int, composeEach bool) error {
	ts, err := mailer.ParseTargets(fmt.Sprintf("smtp://%s?tls=none&concurrency=%d&window=%d", addr, conc, window))
	if err != nil {
		return err
	}
	pool := mailer.NewPool(ts[0], "example.org")
	var next atomic.Int64 // the next chunk's first recipient
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := pool.Conn()
			defer conn.Close()
			raws := make([]mailer.Raw, 0, ceilingChunk)
			bufs := make([][]byte, ceilingChunk)
			results := make([]mailer.Result, ceilingChunk)
			for {
				first := next.Add(ceilingChunk) - ceilingChunk
				if first >= int64(n) {
					return
				}
				raws = raws[:0]
				for i := first; i < min(first+ceilingChunk, int64(n)); i++ {
					lang := m.langs[int(i)%len(m.langs)]
					data := m.prebuilt[lang]
					if composeEach {
						j := len(raws)
						b, err := m.compose(lang, i+1, bufs[j][:0])
						if err != nil {
							firstErr.CompareAndSwap(nil, err)
							failed.Add(1)
							continue
						}
						bufs[j], data = b, b
					}
					raws = append(raws, mailer.Raw{
						From: fmt.Sprintf("bounce+%d-%s@example.org", i+1, m.signer.Token("bounce", i+1, time.Time{})),
						To:   fmt.Sprintf("reader%d@example.net", i+1),
						Data: data,
					})
				}
				res := results[:len(raws)]
				conn.SendInto(ctx, raws, res)
				for _, r := range res {
					if r.Status != mailer.Sent {
						firstErr.CompareAndSwap(nil, fmt.Errorf("%s: %s", r.Status, r.Reply))
						failed.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("ceiling: %d of %d messages not sent, first: %v", f, n, firstErr.Load())
	}
	return nil
}
