// Package branding holds the organisation's branding: its name, logo,
// postal address and footer, which every message and public page shows.
//
// The branding lives in PostgreSQL, one row at most, so that every
// process (the web server, each dispatcher) reads the same: a process
// loads it per dispatch or per page, which is one small query, and the
// row's Version tells a cache that what it keeps is stale. With no
// branding set, messages render exactly as they did before branding
// existed.
package branding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // the logo's formats, for image.DecodeConfig
	_ "image/png"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/templates"
)

// Limits of what the branding holds. A footer is a line or two (a
// disclaimer, a link to the newsroom), not a second message; a logo is a
// small picture that every message links to, never attaches.
const (
	MaxName         = 200
	MaxAddressLines = 6
	MaxAddressLine  = 120
	MaxFooter       = 500
	MaxFooterLines  = 5
	MaxLogoBytes    = 512 << 10
	MaxLogoSide     = 4000
	MinLogoSide     = 16
)

// Languages are the languages a footer may be given in besides the
// default: the languages of the messages and pages.
var Languages = []string{"en", "fr", "es", "ar"}

// Branding is the organisation's branding; the zero value is none.
type Branding struct {
	Name string
	// Address is the postal address, one line per line of the address.
	Address string
	// Footer is the default footer; Footers replace it per language (a
	// key of Languages).
	Footer  string
	Footers map[string]string
	// Logo describes the logo, nil when there is none; LoadLogo reads
	// its bytes.
	Logo *Logo
	// Version grows with every change; 0 when no branding was ever saved.
	Version   int64
	UpdatedAt time.Time
	UpdatedBy string
}

// Logo is what is known of the logo without its bytes.
type Logo struct {
	// Type is image/png or image/jpeg.
	Type string
	// Hash is the hex SHA-256 of the logo's bytes: its ETag, and the v=
	// of its address, so that a new logo is a new address to every cache.
	Hash          string
	Width, Height int
}

// LogoFile is the logo with its bytes, as /branding/logo serves it.
type LogoFile struct {
	Logo
	Data      []byte
	UpdatedAt time.Time
}

// Empty reports whether b shows anything.
func (b *Branding) Empty() bool {
	return b == nil || b.Name == "" && b.Address == "" && b.Footer == "" && len(b.Footers) == 0 && b.Logo == nil
}

// FooterFor is the footer readers of lang get: lang's own, else its base
// language's ("fr" for "fr-CA"), else the default.
func (b *Branding) FooterFor(lang string) string {
	if b == nil {
		return ""
	}
	// As messages choose it, so that a page and a message agree.
	return (&templates.Brand{Footer: b.Footer, Footers: b.Footers}).FooterFor(lang)
}

// AddressLines is the postal address, line by line.
func (b *Branding) AddressLines() []string { return Lines(b.Address) }

// Lines splits a stored address or footer into its lines; none for "".
func Lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// row is the branding table as stored.
type row struct {
	Name       string    `db:"name"`
	Address    string    `db:"address"`
	Footer     string    `db:"footer"`
	Footers    []byte    `db:"footers"`
	LogoType   string    `db:"logo_type"`
	LogoHash   string    `db:"logo_hash"`
	LogoWidth  int       `db:"logo_width"`
	LogoHeight int       `db:"logo_height"`
	Version    int64     `db:"version"`
	UpdatedAt  time.Time `db:"updated_at"`
	UpdatedBy  string    `db:"updated_by"`
}

const columns = `name, address, footer, footers, logo_type, logo_hash, logo_width, logo_height, version, updated_at, updated_by`

func (r *row) branding() (*Branding, error) {
	b := &Branding{Name: r.Name, Address: r.Address, Footer: r.Footer, Version: r.Version, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy}
	if err := json.Unmarshal(r.Footers, &b.Footers); err != nil {
		return nil, fmt.Errorf("branding: footers: %w", err)
	}
	if len(b.Footers) == 0 {
		b.Footers = nil
	}
	if r.LogoType != "" {
		b.Logo = &Logo{Type: r.LogoType, Hash: r.LogoHash, Width: r.LogoWidth, Height: r.LogoHeight}
	}
	return b, nil
}

// Load reads the branding without the logo's bytes: a small row, cheap
// enough to read for every page and every dispatch. No branding is the
// zero Branding, never an error.
func Load(ctx context.Context, q sqlx.QueryerContext) (*Branding, error) {
	var r row
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+columns+` FROM branding WHERE id = 1`)
	switch {
	case postgres.IsNoRows(err):
		return &Branding{}, nil
	case err != nil:
		return nil, fmt.Errorf("load branding: %w", err)
	}
	return r.branding()
}

// LoadLogo reads the logo with its bytes; ENOTFOUND when there is none.
func LoadLogo(ctx context.Context, q sqlx.QueryerContext) (*LogoFile, error) {
	var r struct {
		Data      []byte    `db:"logo"`
		Type      string    `db:"logo_type"`
		Hash      string    `db:"logo_hash"`
		Width     int       `db:"logo_width"`
		Height    int       `db:"logo_height"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	err := sqlx.GetContext(ctx, q, &r, `
		SELECT logo, logo_type, logo_hash, logo_width, logo_height, updated_at
		FROM branding WHERE id = 1 AND logo IS NOT NULL`)
	switch {
	case postgres.IsNoRows(err):
		return nil, communique.Errorf(communique.ENOTFOUND, "no logo")
	case err != nil:
		return nil, fmt.Errorf("load logo: %w", err)
	}
	return &LogoFile{Logo: Logo{Type: r.Type, Hash: r.Hash, Width: r.Width, Height: r.Height}, Data: r.Data, UpdatedAt: r.UpdatedAt}, nil
}

// Update is a change of the branding: every text field is replaced; the
// logo is replaced by Logo when it holds bytes, removed when RemoveLogo,
// and kept otherwise.
type Update struct {
	Name, Address, Footer string
	Footers               map[string]string
	Logo                  []byte
	RemoveLogo            bool
}

// Save checks u and stores it, replacing the branding; by names who
// changes it. Every problem is an EINVALID error with one detail per
// problem, each starting with the field it is about ("name: …",
// "footer_fr: …", "logo: …"); nothing is written then.
func Save(ctx context.Context, q sqlx.QueryerContext, u Update, by string) (*Branding, error) {
	c, err := check(u)
	if err != nil {
		return nil, err
	}
	footers, err := json.Marshal(c.footers)
	if err != nil {
		return nil, fmt.Errorf("branding: footers: %w", err)
	}
	var logo []byte // NULL unless a new logo replaces the old
	if c.logo != nil {
		logo = c.logo.data
	}
	lg := Logo{}
	if c.logo != nil {
		lg = c.logo.Logo
	}
	changeLogo := c.logo != nil || u.RemoveLogo
	var r row
	err = sqlx.GetContext(ctx, q, &r, `
		INSERT INTO branding (id, name, address, footer, footers, logo, logo_type, logo_hash, logo_width, logo_height, updated_by)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET
			name = excluded.name, address = excluded.address, footer = excluded.footer, footers = excluded.footers,
			logo        = CASE WHEN $11 THEN excluded.logo ELSE branding.logo END,
			logo_type   = CASE WHEN $11 THEN excluded.logo_type ELSE branding.logo_type END,
			logo_hash   = CASE WHEN $11 THEN excluded.logo_hash ELSE branding.logo_hash END,
			logo_width  = CASE WHEN $11 THEN excluded.logo_width ELSE branding.logo_width END,
			logo_height = CASE WHEN $11 THEN excluded.logo_height ELSE branding.logo_height END,
			version = branding.version + 1, updated_at = now(), updated_by = excluded.updated_by
		RETURNING `+columns,
		c.name, c.address, c.footer, footers, logo, lg.Type, lg.Hash, lg.Width, lg.Height, by, changeLogo)
	if err != nil {
		return nil, fmt.Errorf("save branding: %w", err)
	}
	return r.branding()
}

// checked is an Update that passed check, in the form it is stored.
type checked struct {
	name, address, footer string
	footers               map[string]string
	logo                  *logoData
}

type logoData struct {
	Logo
	data []byte
}

// check validates u, naming the field of every problem.
func check(u Update) (*checked, error) {
	var details []string
	c := &checked{footers: map[string]string{}}
	c.name = strings.TrimSpace(u.Name)
	switch {
	case strings.ContainsAny(c.name, "\r\n"):
		details = append(details, "name: must be one line")
	case hasControl(c.name):
		details = append(details, "name: holds a control character")
	case utf8.RuneCountInString(c.name) > MaxName:
		details = append(details, fmt.Sprintf("name: longer than %d characters", MaxName))
	}
	var d []string
	c.address, d = multiline("address", u.Address, MaxAddressLines, MaxAddressLine, MaxAddressLines*MaxAddressLine)
	details = append(details, d...)
	c.footer, d = multiline("footer", u.Footer, MaxFooterLines, MaxFooter, MaxFooter)
	details = append(details, d...)
	keys := make([]string, 0, len(u.Footers))
	for k := range u.Footers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, lang := range keys {
		if !slices.Contains(Languages, lang) {
			details = append(details, fmt.Sprintf("footer_%s: no footer in that language (want one of %s)", lang, strings.Join(Languages, ", ")))
			continue
		}
		f, d := multiline("footer_"+lang, u.Footers[lang], MaxFooterLines, MaxFooter, MaxFooter)
		details = append(details, d...)
		if f != "" {
			c.footers[lang] = f
		}
	}
	if len(u.Logo) > 0 {
		if u.RemoveLogo {
			details = append(details, "logo: both a new logo and its removal were asked for")
		} else {
			lg, err := checkLogo(u.Logo)
			if err != "" {
				details = append(details, "logo: "+err)
			}
			c.logo = lg
		}
	}
	if err := communique.Invalid("invalid branding", details); err != nil {
		return nil, err
	}
	return c, nil
}

// multiline trims s, makes its line ends \n and checks its lines; blank
// lines at the ends are dropped.
func multiline(field, s string, maxLines, maxLine, maxTotal int) (string, []string) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	ls := strings.Split(strings.TrimSpace(s), "\n")
	var details []string
	for i := range ls {
		ls[i] = strings.TrimSpace(ls[i])
		switch {
		case hasControl(ls[i]):
			details = append(details, fmt.Sprintf("%s: line %d holds a control character", field, i+1))
		case utf8.RuneCountInString(ls[i]) > maxLine:
			details = append(details, fmt.Sprintf("%s: line %d is longer than %d characters", field, i+1, maxLine))
		}
	}
	out := strings.Join(ls, "\n")
	switch {
	case len(ls) > maxLines:
		details = append(details, fmt.Sprintf("%s: more than %d lines", field, maxLines))
	case utf8.RuneCountInString(out) > maxTotal:
		details = append(details, fmt.Sprintf("%s: longer than %d characters", field, maxTotal))
	}
	return out, details
}

// hasControl reports a control or bidirectional formatting character,
// which would break a header line or turn the text around in a message.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return true
		}
	}
	return false
}

// logoTypes are the formats a logo may have. SVG is refused: an SVG
// file can carry script, and the logo is served from the service's own
// origin.
var logoTypes = map[string]string{"image/png": "png", "image/jpeg": "jpeg"}

// checkLogo sniffs and decodes the header of a logo; the reason it is
// refused, or "".
func checkLogo(b []byte) (*logoData, string) {
	if len(b) > MaxLogoBytes {
		return nil, fmt.Sprintf("larger than %d KiB", MaxLogoBytes>>10)
	}
	typ := http.DetectContentType(b)
	format, ok := logoTypes[typ]
	if !ok {
		head := bytes.ToLower(b[:min(len(b), 1024)])
		if bytes.Contains(head, []byte("<svg")) {
			return nil, "SVG is refused, since it can carry script; use PNG or JPEG"
		}
		return nil, fmt.Sprintf("is %s, not PNG or JPEG", strings.TrimSuffix(typ, "; charset=utf-8"))
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || got != format {
		return nil, fmt.Sprintf("is not a readable %s image", strings.ToUpper(format))
	}
	if cfg.Width < MinLogoSide || cfg.Height < MinLogoSide || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, fmt.Sprintf("is %d×%d pixels; each side must be from %d to %d", cfg.Width, cfg.Height, MinLogoSide, MaxLogoSide)
	}
	sum := sha256.Sum256(b)
	return &logoData{Logo: Logo{Type: typ, Hash: hex.EncodeToString(sum[:16]), Width: cfg.Width, Height: cfg.Height}, data: b}, ""
}

// LogoPath is where the service serves the logo.
const LogoPath = "/branding/logo"

// LogoURL is the logo's absolute address under baseURL, versioned by its
// hash so that a changed logo is never served from a stale cache; ""
// when there is no logo.
func (b *Branding) LogoURL(baseURL string) string {
	if b == nil || b.Logo == nil {
		return ""
	}
	return strings.TrimRight(baseURL, "/") + LogoPath + "?v=" + b.Logo.Hash
}

// Mail is the branding as messages show it, the logo linked under
// baseURL; the zero templates.Brand when there is none.
func (b *Branding) Mail(baseURL string) templates.Brand {
	if b.Empty() {
		return templates.Brand{}
	}
	m := templates.Brand{Name: b.Name, Address: b.Address, Footer: b.Footer, Footers: b.Footers, LogoURL: b.LogoURL(baseURL)}
	if b.Logo != nil {
		m.LogoWidth, m.LogoHeight = b.Logo.Width, b.Logo.Height
	}
	return m
}

// LoadOverrides is templates.LoadOverrides with the branding attached, the
// logo linked under baseURL: what every message rendered now shows.
func LoadOverrides(ctx context.Context, q sqlx.QueryerContext, baseURL string) (templates.Overrides, error) {
	ov, err := templates.LoadOverrides(ctx, q)
	if err != nil {
		return templates.Overrides{}, err
	}
	b, err := Load(ctx, q)
	if err != nil {
		return templates.Overrides{}, err
	}
	return ov.WithBrand(b.Mail(baseURL)), nil
}
