package templates

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/text/language"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Template sources, as the API names them.
const (
	SourceBuiltin  = "builtin"
	SourceOverride = "override"
)

// Template is the effective template of a message in a language: the
// built-in one, or an administrator's override.
type Template struct {
	Message  string `json:"message"`
	Language string `json:"lang"`
	Origin   string `json:"source"` // SourceBuiltin or SourceOverride
	Source
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	// Layout is what release messages' {{template "layout" .}} invokes,
	// for an administrator who wants to start from it; nil for the
	// confirmation.
	Layout *Layout `json:"layout,omitempty"`
}

// TemplateInfo is one line of the template list.
type TemplateInfo struct {
	Message   string     `json:"message"`
	Language  string     `json:"lang"`
	Origin    string     `json:"source"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// ParseKey checks a (message, language) pair from a request: an unknown
// message is ENOTFOUND, a malformed language EINVALID. The language comes
// back in canonical form ("FR-ca" → "fr-CA").
func ParseKey(message, lang string) (string, string, error) {
	if !isMessage(message) {
		return "", "", communique.Errorf(communique.ENOTFOUND, "no message %q (want one of %s)", message, strings.Join(Messages(), ", "))
	}
	tag, err := language.Parse(lang)
	if err != nil || tag == language.Und {
		return "", "", communique.Invalid("invalid language", []string{fmt.Sprintf("lang: %q is not a BCP 47 language tag", lang)})
	}
	return message, tag.String(), nil
}

// CheckOverride compiles src as the override of message in lang and
// renders it against the sample release, complete and with every optional
// field empty, for every kind of recipient, under the render budget. Any
// problem is an EINVALID error with one detail per problem, naming the
// part and the line, or the bound passed. When ctx ends, the check stops
// and returns ctx's error.
func CheckOverride(ctx context.Context, message, lang string, src Source) error {
	mt, err := compile(message, src)
	if err != nil {
		return err
	}
	var details []string
	if message == MessageConfirmation {
		tag, _ := language.Parse(lang)
		for i, name := range []string{"Ana Silva", ""} {
			v := confirmationView{Lang: lang, L: labelsFor(tag), Name: name, ConfirmURL: "https://news.example.org/confirm/tok123"}
			if i == 0 {
				v.Brand = sampleBrand.view(lang)
			}
			if _, err := renderConfirmation(ctx, mt, &v, overrideLimits); err != nil {
				details = append(details, describeTemplateError(err))
			}
		}
	} else {
		for i, r := range []Release{sampleRelease(lang, message), minimalRelease(lang, message)} {
			v, p, err := newView(message, r)
			if err != nil {
				return fmt.Errorf("templates: sample release: %w", err)
			}
			if i == 0 { // the complete release with a complete brand
				v.Brand = sampleBrand.view(v.Lang)
			}
			if err := p.render(ctx, mt, v, overrideLimits); err != nil {
				details = append(details, describeTemplateError(err))
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("templates: check of %s/%s: %w", message, lang, err)
	}
	return communique.Invalid("invalid template", dedupe(details))
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// SaveOverride checks src (see CheckOverride) and stores it as the
// override of message in lang, replacing any; created reports whether
// there was none.
func SaveOverride(ctx context.Context, db sqlx.QueryerContext, message, lang string, src Source) (created bool, err error) {
	message, lang, err = ParseKey(message, lang)
	if err != nil {
		return false, err
	}
	if err := CheckOverride(ctx, message, lang, src); err != nil {
		return false, err
	}
	// xmax is 0 on a freshly inserted row and set on an updated one.
	err = sqlx.GetContext(ctx, db, &created, `
		INSERT INTO template_overrides (message, language, subject, text_part, html_part)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (message, language) DO UPDATE SET
			subject = excluded.subject, text_part = excluded.text_part,
			html_part = excluded.html_part, updated_at = now()
		RETURNING xmax = 0`, message, lang, src.Subject, src.Text, src.HTML)
	if err != nil {
		return false, fmt.Errorf("save template override %s/%s: %w", message, lang, err)
	}
	return created, nil
}

// DeleteOverride removes the override of message in lang, reverting to
// the built-in; ENOTFOUND if there was none.
func DeleteOverride(ctx context.Context, db sqlx.ExecerContext, message, lang string) error {
	message, lang, err := ParseKey(message, lang)
	if err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `DELETE FROM template_overrides WHERE message = $1 AND language = $2`, message, lang)
	if err != nil {
		return fmt.Errorf("delete template override %s/%s: %w", message, lang, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return communique.Errorf(communique.ENOTFOUND, "no override of %s in %s", message, lang)
	}
	return nil
}

// GetTemplate returns the effective template of message in lang, the one
// its readers get: the override for lang, else the override for its base
// language (whose tag Language then gives), else the built-in.
func GetTemplate(ctx context.Context, q sqlx.QueryerContext, message, lang string) (*Template, error) {
	message, lang, err := ParseKey(message, lang)
	if err != nil {
		return nil, err
	}
	t := &Template{Message: message, Language: lang}
	if isVariant(message) {
		l := BuiltinLayout()
		t.Layout = &l
	}
	tag, _ := language.Parse(lang)
	base, _ := tag.Base()
	var row struct {
		Language string `db:"language"`
		Source
		UpdatedAt time.Time `db:"updated_at"`
	}
	err = sqlx.GetContext(ctx, q, &row, `
		SELECT language, subject, text_part, html_part, updated_at FROM template_overrides
		WHERE message = $1 AND language IN ($2, $3)
		ORDER BY language = $2 DESC LIMIT 1`, message, lang, base.String())
	switch {
	case postgres.IsNoRows(err):
		if t.Source, err = BuiltinSource(message); err != nil {
			return nil, err
		}
		t.Origin = SourceBuiltin
	case err != nil:
		return nil, fmt.Errorf("get template %s/%s: %w", message, lang, err)
	default:
		t.Language, t.Source, t.Origin, t.UpdatedAt = row.Language, row.Source, SourceOverride, &row.UpdatedAt
	}
	return t, nil
}

// ListTemplates lists every message in every built-in language, and the
// overrides in other languages, saying which are overridden.
func ListTemplates(ctx context.Context, q sqlx.QueryerContext) ([]TemplateInfo, error) {
	var rows []struct {
		Message   string    `db:"message"`
		Language  string    `db:"language"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT message, language, updated_at FROM template_overrides`); err != nil {
		return nil, fmt.Errorf("list template overrides: %w", err)
	}
	byKey := map[overrideKey]TemplateInfo{}
	for _, m := range Messages() {
		for _, l := range Languages() {
			byKey[overrideKey{m, l}] = TemplateInfo{Message: m, Language: l, Origin: SourceBuiltin}
		}
	}
	for _, r := range rows {
		at := r.UpdatedAt
		byKey[overrideKey{r.Message, r.Language}] = TemplateInfo{Message: r.Message, Language: r.Language, Origin: SourceOverride, UpdatedAt: &at}
	}
	order := map[string]int{}
	for i, m := range Messages() {
		order[m] = i
	}
	out := make([]TemplateInfo, 0, len(byKey))
	for _, t := range byKey {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Message != out[j].Message {
			return order[out[i].Message] < order[out[j].Message]
		}
		return out[i].Language < out[j].Language
	})
	return out, nil
}

// LoadOverrides reads and compiles every stored override. A stored
// override that no longer compiles is left out and listed in Problems;
// only a database error fails the call.
func LoadOverrides(ctx context.Context, q sqlx.QueryerContext) (Overrides, error) {
	var rows []storedOverride
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT message, language, subject, text_part, html_part FROM template_overrides`); err != nil {
		return Overrides{}, fmt.Errorf("load template overrides: %w", err)
	}
	return newOverrides(rows), nil
}
