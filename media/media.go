// Package media holds the photos and documents attached to a release:
// what may be uploaded (type sniffed from the content, size and pixel
// limits), the web-sized renditions of photos, the caption, credit and
// alt text of each in every language, their order, and where their
// files are kept (a Store: PostgreSQL by default).
//
// Media are never attached to messages; messages and pages link to them.
// Who may see a file is the newsroom's rule, not this package's: a file
// is public when its release's page is.
package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/language"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// Media is a photo or document of a release.
type Media struct {
	ID          int64      `db:"id" json:"id"`
	ReleaseID   int64      `db:"release_id" json:"release_id"`
	Position    int        `db:"position" json:"position"`
	Kind        string     `db:"kind" json:"kind"`
	ContentType string     `db:"content_type" json:"content_type"`
	Size        int64      `db:"size" json:"size"`
	SHA256      string     `db:"sha256" json:"sha256"`
	Filename    string     `db:"filename" json:"filename"`
	Width       int        `db:"width" json:"width,omitempty"`
	Height      int        `db:"height" json:"height,omitempty"`
	Texts       Texts      `db:"texts" json:"texts"`
	Renditions  Renditions `db:"renditions" json:"renditions"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	CreatedBy   string     `db:"created_by" json:"created_by"`
	UpdatedAt   time.Time  `db:"updated_at" json:"updated_at"`
}

const columns = `id, release_id, position, kind, content_type, size, sha256, filename, width, height,
	texts, renditions, created_at, created_by, updated_at`

// Text is what a media item says in one language.
type Text struct {
	Caption string `json:"caption,omitempty"`
	Credit  string `json:"credit,omitempty"`
	// Alt describes a photo to those who cannot see it.
	Alt string `json:"alt,omitempty"`
}

// Texts are a media item's texts by language.
type Texts map[string]Text

// Scan reads the jsonb column.
func (t *Texts) Scan(src any) error { return postgres.ScanJSON(src, t) }

// Value writes the jsonb column.
func (t Texts) Value() (driver.Value, error) {
	if t == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(t)
}

// In returns the text in lang, else in fallback, else in the first
// language that has one.
func (t Texts) In(lang, fallback string) Text {
	return t[t.Lang(lang, fallback)]
}

// Lang is the language In picks: lang, else fallback, else the first
// in order that has a text; "" when there is none.
func (t Texts) Lang(lang, fallback string) string {
	if _, ok := t[lang]; ok {
		return lang
	}
	if _, ok := t[fallback]; ok {
		return fallback
	}
	first := ""
	for l := range t {
		if first == "" || l < first {
			first = l
		}
	}
	return first
}

// Renditions are the scaled copies of a photo, smallest first.
type Renditions []Rendition

func (r *Renditions) Scan(src any) error { return postgres.ScanJSON(src, r) }

func (r Renditions) Value() (driver.Value, error) {
	if r == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(r)
}

// Rendition returns the file name serves: RenditionOriginal or one of
// the renditions.
func (m *Media) Rendition(name string) (Rendition, bool) {
	if name == RenditionOriginal {
		return Rendition{Name: name, ContentType: m.ContentType, Width: m.Width, Height: m.Height, Size: m.Size, SHA256: m.SHA256}, true
	}
	for _, r := range m.Renditions {
		if r.Name == name {
			return r, true
		}
	}
	return Rendition{}, false
}

// FileName is the name a rendition is offered under: the original's,
// with the rendition's extension.
func (m *Media) FileName(r Rendition) string {
	if r.Name == RenditionOriginal || r.ContentType == m.ContentType {
		return m.Filename
	}
	base := strings.TrimSuffix(m.Filename, extOf(m.Filename))
	if r.ContentType == "image/png" {
		return base + ".png"
	}
	return base + ".jpg"
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// Key is where a rendition of media id is kept in the Store.
func Key(id int64, rendition string) string {
	return fmt.Sprintf("media/%d/%s", id, rendition)
}

// Library keeps the media of releases: their rows in PostgreSQL and
// their files in a Store.
type Library struct {
	DB    *sqlx.DB
	Store Store
	Log   *slog.Logger
	// Now dates changes; time.Now when nil.
	Now func() time.Time

	// decoding bounds the photos decoded at once: a decoded photo takes
	// up to MaxPixels × 4 bytes.
	decoding chan struct{}
}

// New returns a Library on db; store nil keeps files in PostgreSQL.
func New(db *sqlx.DB, store Store, log *slog.Logger) *Library {
	if store == nil {
		store = &PostgresStore{DB: db}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Library{DB: db, Store: store, Log: log, decoding: make(chan struct{}, 2)}
}

func (l *Library) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Upload is a file to add to a release.
type Upload struct {
	ReleaseID int64
	// Filename is the name the sender gave; only a cleaned form is kept.
	Filename string
	// Data is read up to the larger limit and one byte more.
	Data  io.Reader
	Texts Texts
	Actor string
}

// Limits of the texts.
const (
	maxCaption = 1000
	maxCredit  = 200
	maxAlt     = 500
)

// Add checks an upload, makes a photo's renditions and stores it all in
// one transaction: a file refused, or a failure at any step, leaves
// nothing behind.
func (l *Library) Add(ctx context.Context, u Upload) (*Media, error) {
	data, err := io.ReadAll(io.LimitReader(u.Data, MaxDocumentBytes+1))
	if err != nil {
		return nil, communique.Invalid("invalid media", []string{"file: could not be read: " + err.Error()})
	}
	texts, details := CheckTexts(u.Texts)
	if len(data) > MaxDocumentBytes {
		// Cut short by the limit, the file cannot be sniffed whole.
		return nil, communique.Invalid("invalid media", append([]string{fmt.Sprintf(
			"file: more than the %d MiB allowed for documents (%d MiB for photos)", MaxDocumentBytes>>20, MaxImageBytes>>20)}, details...))
	}
	f, msg := sniff(data)
	if msg != "" {
		return nil, communique.Invalid("invalid media", append([]string{msg}, details...))
	}
	if limit := limitOf(f.kind); len(data) > limit {
		what := "photos"
		if f.kind == KindDocument {
			what = "documents"
		}
		return nil, communique.Invalid("invalid media", append([]string{fmt.Sprintf("file: more than the %d MiB allowed for %s", limit>>20, what)}, details...))
	}
	if err := communique.Invalid("invalid media", details); err != nil {
		return nil, err
	}
	m := &Media{ReleaseID: u.ReleaseID, Kind: f.kind, ContentType: f.contentType,
		Filename: cleanName(u.Filename, f), Texts: texts, CreatedBy: u.Actor}
	var files []encoded
	if f.kind == KindImage {
		cfg, msg := imageConfig(data, f)
		if msg != "" {
			return nil, communique.Invalid("invalid media", []string{msg})
		}
		m.Width, m.Height = cfg.Width, cfg.Height
		o := orientation(data, f)
		if turns(o) {
			m.Width, m.Height = cfg.Height, cfg.Width // as shown, turned
		}
		if files, err = l.renditions(ctx, data, f); err != nil {
			return nil, err
		}
		for _, r := range files {
			m.Renditions = append(m.Renditions, r.Rendition)
		}
		if f == formatJPEG {
			data = stripJPEG(data, o) // see strip.go
		}
	}
	sum := sha256.Sum256(data)
	m.Size, m.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	files = append(files, encoded{Rendition: Rendition{Name: RenditionOriginal}, data: data})

	var put []string
	err = postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		if err := lockRelease(ctx, tx, u.ReleaseID); err != nil {
			return err
		}
		now := l.now()
		if err := tx.GetContext(ctx, m, `
			INSERT INTO media (release_id, position, kind, content_type, size, sha256, filename, width, height,
				texts, renditions, created_at, created_by, updated_at)
			VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM media WHERE release_id = $1),
				$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11)
			RETURNING `+columns,
			m.ReleaseID, m.Kind, m.ContentType, m.Size, m.SHA256, m.Filename, m.Width, m.Height,
			m.Texts, m.Renditions, now, m.CreatedBy); err != nil {
			return fmt.Errorf("add media to release %d: %w", u.ReleaseID, err)
		}
		for _, f := range files {
			key := Key(m.ID, f.Name)
			put = append(put, key)
			if err := l.Store.Put(ctx, tx, key, bytes.NewReader(f.data)); err != nil {
				return err
			}
		}
		return l.changed(ctx, tx, u.Actor, "media_add", m, nil)
	})
	if err != nil {
		l.undo(put)
		return nil, err
	}
	l.Log.Info("media added", "release_id", m.ReleaseID, "media_id", m.ID, "kind", m.Kind, "size", m.Size)
	return m, nil
}

func limitOf(kind string) int {
	if kind == KindImage {
		return MaxImageBytes
	}
	return MaxDocumentBytes
}

// renditions decodes one photo at a time per slot, waiting for a slot
// while ctx allows.
func (l *Library) renditions(ctx context.Context, data []byte, f format) ([]encoded, error) {
	if l.decoding != nil {
		select {
		case l.decoding <- struct{}{}:
			defer func() { <-l.decoding }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	files, msg := renditions(data, f)
	if msg != "" {
		return nil, communique.Invalid("invalid media", []string{msg})
	}
	return files, nil
}

// undo removes files a failed transaction had put: a store inside the
// database lost them with the rollback already; one outside it did not.
func (l *Library) undo(keys []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, k := range keys {
		if err := l.Store.Delete(ctx, nil, k); err != nil {
			l.Log.Warn("media file left behind by a failed upload", "key", k, "error", err)
		}
	}
}

// CheckTexts trims texts and names every problem: a language that is no
// BCP 47 tag, a text too long or with control characters.
func CheckTexts(in Texts) (Texts, []string) {
	out := Texts{}
	var details []string
	langs := make([]string, 0, len(in))
	for l := range in {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		t := in[l]
		tag, err := language.Parse(l)
		if err != nil {
			details = append(details, fmt.Sprintf("caption.%s: %q is not a language tag", l, l))
			continue
		}
		key := tag.String()
		t.Caption, t.Credit, t.Alt = strings.TrimSpace(t.Caption), strings.TrimSpace(t.Credit), strings.TrimSpace(t.Alt)
		for _, f := range []struct {
			name, v string
			max     int
		}{{"caption", t.Caption, maxCaption}, {"credit", t.Credit, maxCredit}, {"alt", t.Alt, maxAlt}} {
			if n := utf8.RuneCountInString(f.v); n > f.max {
				details = append(details, fmt.Sprintf("%s.%s: %d characters, at most %d", f.name, key, n, f.max))
			}
			if !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
				details = append(details, fmt.Sprintf("%s.%s: control characters are not allowed", f.name, key))
			}
		}
		if t != (Text{}) {
			out[key] = t
		}
	}
	return out, details
}

// lockRelease locks the release media change, refusing one recalled:
// its page is a withdrawal notice, and its files are not served.
func lockRelease(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var status string
	err := tx.GetContext(ctx, &status, `SELECT status FROM releases WHERE id = $1 FOR UPDATE`, id)
	if postgres.IsNoRows(err) {
		return communique.Errorf(communique.ENOTFOUND, "release %d not found", id)
	}
	if err != nil {
		return fmt.Errorf("lock release %d: %w", id, err)
	}
	if status == "recalled" {
		return communique.Errorf(communique.ECONFLICT, "release %d is recalled: its media can no longer change", id)
	}
	return nil
}

// changed records a change in the audit log. A change to a draft's media
// is a change to what a clearer approved: as an edit does, it takes the
// clearance back (the same rule as releases' edit).
func (l *Library) changed(ctx context.Context, tx *sqlx.Tx, actor, action string, m *Media, extra map[string]any) error {
	details := map[string]any{"media_id": m.ID, "kind": m.Kind, "filename": m.Filename}
	for k, v := range extra {
		details[k] = v
	}
	was, err := releases.Unclear(ctx, tx, m.ReleaseID)
	if err != nil {
		return err
	}
	if was != "" {
		details["clearance_dropped"] = was
	}
	// A public page changed: its release's updated_at moves, and with it
	// the newsroom's validators and caches, its feed and its sitemap. A
	// draft's stays: the editor holds it as the version it opened, and a
	// photo added beside it is no conflict with its text.
	if _, err := tx.ExecContext(ctx, `
		UPDATE releases SET updated_at = greatest(updated_at + interval '1 microsecond', $2)
		WHERE id = $1 AND status = 'published'`, m.ReleaseID, l.now()); err != nil {
		return fmt.Errorf("date the change of release %d: %w", m.ReleaseID, err)
	}
	return releases.RecordAudit(ctx, tx, actor, action, m.ReleaseID, details)
}

// List returns a release's media in their order.
func List(ctx context.Context, db sqlx.QueryerContext, releaseID int64) ([]Media, error) {
	out := []Media{}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT `+columns+` FROM media WHERE release_id = $1 ORDER BY position, id`, releaseID); err != nil {
		return nil, fmt.Errorf("media of release %d: %w", releaseID, err)
	}
	return out, nil
}

// Get returns media id of release releaseID.
func Get(ctx context.Context, db sqlx.QueryerContext, releaseID, id int64) (*Media, error) {
	var m Media
	err := sqlx.GetContext(ctx, db, &m, `SELECT `+columns+` FROM media WHERE id = $1 AND release_id = $2`, id, releaseID)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "media %d of release %d not found", id, releaseID)
	}
	if err != nil {
		return nil, fmt.Errorf("media %d: %w", id, err)
	}
	return &m, nil
}

// Change is an edit of a media item: fields left nil keep their value.
type Change struct {
	// Texts replace the texts of the languages they name; a language
	// given empty texts is removed.
	Texts Texts `json:"texts"`
	// Position moves the item there (1 is first), the others making room.
	Position *int `json:"position"`
}

// Update applies c to media id of release releaseID.
func (l *Library) Update(ctx context.Context, releaseID, id int64, c Change, actor string) (*Media, error) {
	texts, details := CheckTexts(c.Texts)
	for l, t := range c.Texts {
		if tag, err := language.Parse(l); err == nil && t == (Text{}) {
			texts[tag.String()] = Text{} // marks the language for removal
		}
	}
	if c.Position != nil && *c.Position < 1 {
		details = append(details, fmt.Sprintf("position: %d, the first is 1", *c.Position))
	}
	if err := communique.Invalid("invalid media change", details); err != nil {
		return nil, err
	}
	return l.edit(ctx, releaseID, id, func(tx *sqlx.Tx, m *Media) error {
		extra := map[string]any{}
		if len(texts) > 0 {
			before := m.Texts
			next := Texts{}
			maps.Copy(next, m.Texts)
			for k, v := range texts {
				if v == (Text{}) {
					delete(next, k)
				} else {
					next[k] = v
				}
			}
			m.Texts = next
			extra["before"], extra["after"] = before, next
		}
		if c.Position != nil {
			extra["position"] = *c.Position
			if err := move(ctx, tx, releaseID, id, *c.Position); err != nil {
				return err
			}
		}
		if err := tx.GetContext(ctx, m, `UPDATE media SET texts = $2, updated_at = $3 WHERE id = $1 RETURNING `+columns,
			id, m.Texts, l.now()); err != nil {
			return fmt.Errorf("update media %d: %w", id, err)
		}
		return l.changed(ctx, tx, actor, "media_edit", m, extra)
	})
}

// edit runs change on media id of release releaseID in one transaction,
// the release locked against recall and concurrent edits, and returns
// the item as change left it.
func (l *Library) edit(ctx context.Context, releaseID, id int64, change func(*sqlx.Tx, *Media) error) (*Media, error) {
	var m *Media
	err := postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		if err := lockRelease(ctx, tx, releaseID); err != nil {
			return err
		}
		var err error
		if m, err = Get(ctx, tx, releaseID, id); err != nil {
			return err
		}
		return change(tx, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// move puts media id at position pos among its release's media, and
// numbers them all from 1 again.
func move(ctx context.Context, tx *sqlx.Tx, releaseID, id int64, pos int) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM media WHERE release_id = $1 ORDER BY position, id`, releaseID); err != nil {
		return fmt.Errorf("order media of release %d: %w", releaseID, err)
	}
	i := slices.Index(ids, id)
	if i < 0 {
		return communique.Errorf(communique.ENOTFOUND, "media %d of release %d not found", id, releaseID)
	}
	ids = slices.Delete(ids, i, i+1)
	pos = min(max(pos, 1), len(ids)+1)
	ids = slices.Insert(ids, pos-1, id)
	if _, err := tx.ExecContext(ctx, `
		UPDATE media m SET position = o.n FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, n)
		WHERE m.id = o.id`, pq.Array(ids)); err != nil {
		return fmt.Errorf("order media of release %d: %w", releaseID, err)
	}
	return nil
}

// Delete removes media id of release releaseID with its files.
func (l *Library) Delete(ctx context.Context, releaseID, id int64, actor string) error {
	_, err := l.edit(ctx, releaseID, id, func(tx *sqlx.Tx, m *Media) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete media %d: %w", id, err)
		}
		for _, r := range append(slices.Clone(m.Renditions), Rendition{Name: RenditionOriginal}) {
			if err := l.Store.Delete(ctx, tx, Key(id, r.Name)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE media SET position = position - 1 WHERE release_id = $1 AND position > $2`, releaseID, m.Position); err != nil {
			return fmt.Errorf("order media of release %d: %w", releaseID, err)
		}
		return l.changed(ctx, tx, actor, "media_delete", m, nil)
	})
	if err != nil {
		return err
	}
	l.Log.Info("media deleted", "release_id", releaseID, "media_id", id)
	return nil
}

// Open opens a rendition's file.
func (l *Library) Open(ctx context.Context, id int64, rendition string) (io.ReadCloser, error) {
	rc, err := l.Store.Get(ctx, Key(id, rendition))
	if errors.Is(err, ErrNotFound) {
		return nil, communique.Errorf(communique.ENOTFOUND, "media %d has no %s file", id, rendition)
	}
	return rc, err
}

// Path is the public address of a rendition: the newsroom serves it
// once the release's page is public, and not before.
func (m *Media) Path(rendition string) string {
	r, _ := m.Rendition(rendition)
	return fmt.Sprintf("/media/%d/%s/%s", m.ID, rendition, url.PathEscape(m.FileName(r)))
}

// RightToChange is the right changing a release's media needs: a
// draft's are the writer's, but a release out of draft shows its media
// to readers (at once, or at the lift), so changing them is a correction
// and needs the right to correct.
func RightToChange(ctx context.Context, db sqlx.QueryerContext, releaseID int64) (users.Right, error) {
	var status string
	err := sqlx.GetContext(ctx, db, &status, `SELECT status FROM releases WHERE id = $1`, releaseID)
	if postgres.IsNoRows(err) {
		return "", communique.Errorf(communique.ENOTFOUND, "release %d not found", releaseID)
	}
	if err != nil {
		return "", fmt.Errorf("release %d: %w", releaseID, err)
	}
	if status == "draft" {
		return users.WriteReleases, nil
	}
	return users.ClearReleases, nil
}

// FormatName names a file's format for readers: "JPEG", "PDF",
// "Word (DOCX)".
func FormatName(contentType string) string {
	switch contentType {
	case formatJPEG.contentType:
		return "JPEG"
	case formatPNG.contentType:
		return "PNG"
	case formatGIF.contentType:
		return "GIF"
	case formatWebP.contentType:
		return "WebP"
	case formatPDF.contentType:
		return "PDF"
	}
	for _, o := range ooxml {
		if o.f.contentType == contentType {
			return map[string]string{".docx": "Word (DOCX)", ".xlsx": "Excel (XLSX)", ".pptx": "PowerPoint (PPTX)"}[o.f.ext]
		}
	}
	if f, ok := odf[contentType]; ok {
		return strings.ToUpper(f.ext[1:])
	}
	return contentType
}

// About is a file's format and size, as a message lists it: "JPEG,
// 2.1 MB".
func (m *Media) About() string {
	size := strconv.FormatInt(max(1, (m.Size+1023)/1024), 10) + " KB"
	if m.Size >= 1<<20 {
		size = strconv.FormatFloat(float64(m.Size)/(1<<20), 'f', 1, 64) + " MB"
	}
	return FormatName(m.ContentType) + ", " + size
}

// ListOf returns the media of several releases by release, each list in
// its order: one query for a feed's entries.
func ListOf(ctx context.Context, db sqlx.QueryerContext, releaseIDs []int64) (map[int64][]Media, error) {
	var all []Media
	if err := sqlx.SelectContext(ctx, db, &all, `SELECT `+columns+` FROM media WHERE release_id = ANY ($1) ORDER BY release_id, position, id`,
		pq.Array(releaseIDs)); err != nil {
		return nil, fmt.Errorf("media of %d releases: %w", len(releaseIDs), err)
	}
	out := make(map[int64][]Media, len(releaseIDs))
	for _, m := range all {
		out[m.ReleaseID] = append(out[m.ReleaseID], m)
	}
	return out, nil
}
