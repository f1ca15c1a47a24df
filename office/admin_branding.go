package office

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// brandingPath is the branding form, which sends the logo as a file.
const brandingPath = "/office/admin/branding"

func init() { uploadPaths[brandingPath] = true }

// brandingView is the branding page: the form, and the branding as saved.
type brandingView struct {
	*adminView
	Saved *branding.Branding
}

// FooterLangs are the languages a footer may be given in.
func (v *brandingView) FooterLangs() []string { return branding.Languages }

// LogoSrc is the saved logo's address on this service, for the preview.
func (v *brandingView) LogoSrc() string { return v.Saved.LogoURL("") }

// adminBranding shows the branding form, filled with what is saved.
func (h *Handler) adminBranding(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := &brandingView{adminView: h.adminView(r, "admin_branding_title")}
	b, err := branding.Load(r.Context(), h.cfg.DB)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.values["brand_name"], v.values["brand_address"], v.values["brand_footer"] = b.Name, b.Address, b.Footer
	for lang, f := range b.Footers {
		v.values["brand_footer_"+lang] = f
	}
	v.Saved = b
	h.renderMore(w, r, http.StatusOK, "admin_branding", v.relView, v)
}

// saveBranding stores the branding and its audit entry together; a
// refused field is shown next to itself, with the form as it was sent
// (the logo must be chosen again: a browser cannot be given a file).
func (h *Handler) saveBranding(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx, pf := r.Context(), r.PostForm
	v := &brandingView{adminView: h.adminView(r, "admin_branding_title")}
	keep(v.page, pf, "brand_")
	up := branding.Update{Name: pf.Get("brand_name"), Address: pf.Get("brand_address"), Footer: pf.Get("brand_footer"),
		Footers: map[string]string{}, RemoveLogo: pf.Get("brand_logo_remove") == "on"}
	for _, lang := range branding.Languages {
		if f := strings.TrimSpace(pf.Get("brand_footer_" + lang)); f != "" {
			up.Footers[lang] = f
		}
	}
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["brand_logo"]; len(fh) > 0 && fh[0].Size > 0 {
			if fh[0].Size > branding.MaxLogoBytes {
				// Not read at all: the limit says enough.
				up.Logo = make([]byte, branding.MaxLogoBytes+1)
			} else {
				f, err := fh[0].Open()
				if err != nil {
					h.failed(w, r, err)
					return
				}
				up.Logo, err = io.ReadAll(io.LimitReader(f, branding.MaxLogoBytes+1))
				f.Close()
				if err != nil {
					h.failed(w, r, err)
					return
				}
			}
		}
	}
	var saved *branding.Branding
	err := postgres.Tx(ctx, h.cfg.DB, func(tx *sqlx.Tx) error {
		var err error
		if saved, err = branding.Save(ctx, tx, up, actor(u)); err != nil {
			return err
		}
		details := map[string]any{"name": saved.Name, "version": saved.Version}
		if saved.Logo != nil {
			details["logo"] = saved.Logo.Hash
		}
		return releases.RecordAudit(ctx, tx, actor(u), "branding.update", 0, details)
	})
	if communique.ErrorCode(err) == communique.EINVALID {
		for _, d := range communique.ErrorDetails(err) {
			field, text, _ := strings.Cut(d, ": ")
			v.problems = append(v.problems, problem{Field: "brand_" + field, Label: v.brandLabel(field), Text: text})
		}
		if v.Saved, err = branding.Load(ctx, h.cfg.DB); err != nil {
			h.failed(w, r, err)
			return
		}
		h.renderMore(w, r, http.StatusUnprocessableEntity, "admin_branding", v.relView, v)
		return
	}
	if err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("branding changed", "version", saved.Version, "actor", actor(u))
	h.flash(ctx, "flash_branding_saved", "")
	http.Redirect(w, r, brandingPath, http.StatusSeeOther)
}

// brandLabel names a field of the branding form in the page's language.
func (v *brandingView) brandLabel(field string) string {
	if lang, ok := strings.CutPrefix(field, "footer_"); ok {
		return v.T("brand_footer_lang", languageLabel(lang))
	}
	switch field {
	case "name", "address", "footer", "logo":
		return v.T("brand_" + field)
	}
	return field
}

// pageBrand loads the branding every office page shows in its header
// and footer; a page goes on without it when the database cannot say.
func (h *Handler) pageBrand(r *http.Request) *branding.Branding { return h.brandOf(r.Context()) }

// brandOf loads the branding, or none when the database cannot say:
// what a page or a mail shows around its content is not worth failing
// it.
func (h *Handler) brandOf(ctx context.Context) *branding.Branding {
	b, err := branding.Load(ctx, h.cfg.DB)
	if err != nil {
		h.log.Warn("branding not loaded; the page goes without", "error", err)
		return &branding.Branding{}
	}
	return b
}

// Org is the organisation's name, for the header; "" when not set.
func (p *page) Org() string {
	if p.brand == nil {
		return ""
	}
	return p.brand.Name
}

// BrandLogo is the logo's address, for the header; "" when none.
func (p *page) BrandLogo() string { return p.brand.LogoURL("") }

// BrandFooter and BrandAddress are the footer (in the page's language)
// and postal address, line by line, for the page's footer.
func (p *page) BrandFooter() []string { return branding.Lines(p.brand.FooterFor(p.Lang)) }
func (p *page) BrandAddress() []string {
	if p.brand == nil {
		return nil
	}
	return p.brand.AddressLines()
}

// area is what the "area" template draws: a textarea with its label,
// hint and problem.
type area struct {
	field
	Rows int
	Lang string
}

// Area describes a textarea; label and hint are catalog keys.
func (p *page) Area(id, label, hint string, rows int) area {
	return area{field: p.FieldHint(id, label, "textarea", "off", hint), Rows: rows}
}

// AreaLang describes the textarea of a footer in lang.
func (p *page) AreaLang(id, lang string, rows int) area {
	a := area{field: p.FieldHint(id, "brand_footer", "textarea", "off", ""), Rows: rows, Lang: lang}
	a.Label = p.T("brand_footer_lang", languageLabel(lang))
	return a
}
