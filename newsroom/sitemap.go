package newsroom

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// maxSitemap is the sitemaps protocol's limit of addresses per file.
const maxSitemap = 50_000

type sitemapRelease struct {
	Slug      string         `db:"slug"`
	UpdatedAt time.Time      `db:"updated_at"`
	Languages pq.StringArray `db:"languages"`
}

// sitemapReleases lists the published releases with their languages; a
// withdrawn release has nothing left to index.
func sitemapReleases(ctx context.Context, db sqlx.QueryerContext) ([]sitemapRelease, error) {
	var out []sitemapRelease
	err := sqlx.SelectContext(ctx, db, &out, `
		SELECT r.slug, r.updated_at,
			ARRAY(SELECT language FROM release_translations x WHERE x.release_id = r.id ORDER BY language) AS languages
		FROM releases r
		WHERE `+public+` AND r.status = 'published'
		ORDER BY r.published_at DESC, r.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("sitemap: %w", err)
	}
	return out, nil
}

// sitemap serves /sitemap.xml: every language of every public release,
// each address with its alternates in the release's other languages.
func (h *Handler) sitemap(w http.ResponseWriter, r *http.Request, st stamp) {
	ctx := r.Context()
	validators(w, etag("sitemap", st.key()), lastModified(st))
	rels, err := sitemapReleases(ctx, h.cfg.DB)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">` + "\n")
	n := 0
	var alts bytes.Buffer
	for _, rel := range rels {
		// Every language of a release lists the same alternates and date.
		alts.Reset()
		alts.WriteString("</loc><lastmod>" + rel.UpdatedAt.UTC().Format(time.RFC3339) + "</lastmod>")
		for _, alt := range rel.Languages {
			alts.WriteString(`<xhtml:link rel="alternate" hreflang="`)
			xml.EscapeText(&alts, []byte(alt))
			alts.WriteString(`" href="`)
			xml.EscapeText(&alts, []byte(h.cfg.BaseURL+releasePath(rel.Slug, alt)))
			alts.WriteString(`"/>`)
		}
		alts.WriteString("</url>\n")
		for _, lang := range rel.Languages {
			if n == maxSitemap {
				break
			}
			n++
			b.WriteString("<url><loc>")
			xml.EscapeText(&b, []byte(h.cfg.BaseURL+releasePath(rel.Slug, lang)))
			b.Write(alts.Bytes())
		}
	}
	b.WriteString("</urlset>\n")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(b.Bytes())
}
