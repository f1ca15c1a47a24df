package office

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/users"
)

// postBranding posts the branding form as a browser does, multipart with
// the logo as a file; csrf is the form token to send.
func (br *browser) postBranding(csrf string, fields url.Values, logo []byte) response {
	br.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("brand_logo", "logo.png")
	fw.Write(logo) // an empty file is what a browser sends when none is chosen
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, br.b.url+"/office/admin/branding", &body)
	if err != nil {
		br.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return br.do(req)
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBrandingSavedByAnAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("admin@example.org", users.Admin, pw)
	br := b.browser()
	br.signIn("admin@example.org", pw)
	wantStatus(t, "the form", br.get("/office/admin/branding"), http.StatusOK, `id="branding-form"`, `enctype="multipart/form-data"`,
		`id="no-logo"`, `id="admin-branding-link"`, `id="admin-templates-link"`)

	res := br.postBranding(br.csrf, url.Values{"brand_name": {"International Mobility Agency"},
		"brand_address": {"17 route des Morillons\r\nCH-1211 Geneva 19"}, "brand_footer": {"Press office: weekdays."},
		"brand_footer_fr": {"Service de presse : jours ouvrables."}}, testPNG(t, 300, 80))
	wantStatus(t, "saving", res, http.StatusSeeOther)
	saved, err := branding.Load(context.Background(), b.db)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Name != "International Mobility Agency" || saved.Address != "17 route des Morillons\nCH-1211 Geneva 19" ||
		saved.Footers["fr"] != "Service de presse : jours ouvrables." || saved.Logo == nil || saved.Logo.Width != 300 {
		t.Fatalf("saved %+v", saved)
	}
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE action = 'branding.update' AND actor = 'user:admin@example.org'`); n != 1 {
		t.Errorf("%d audit entries", n)
	}
	logo := `src="/branding/logo?v=` + saved.Logo.Hash + `"`
	wantStatus(t, "the form after", br.get("/office/admin/branding"), http.StatusOK, "The branding is saved", `id="logo-preview"`, logo,
		"17 route des Morillons\nCH-1211 Geneva 19</textarea>", `id="brand_logo_remove"`)
	// Every office page shows the branding in its header and footer.
	wantStatus(t, "the home page", br.get("/office/"), http.StatusOK, "<bdi>International Mobility Agency</bdi>", logo,
		"<p>Press office: weekdays.</p>", "<address><bdi>17 route des Morillons</bdi><br><bdi>CH-1211 Geneva 19</bdi></address>")
	wantStatus(t, "the home page in French", br.get("/office/?lang=fr"), http.StatusOK, "Service de presse : jours ouvrables.")

	// Without a new file the logo stays; the box removes it.
	wantStatus(t, "saving the texts", br.postBranding(br.csrf, url.Values{"brand_name": {"IMA"}}, nil), http.StatusSeeOther)
	if got, _ := branding.Load(context.Background(), b.db); got.Logo == nil || got.Name != "IMA" || got.Footer != "" {
		t.Errorf("after saving the texts: %+v", got)
	}
	br.get("/office/admin/branding")
	wantStatus(t, "removing the logo", br.postBranding(br.csrf, url.Values{"brand_name": {"IMA"}, "brand_logo_remove": {"on"}}, nil), http.StatusSeeOther)
	if got, _ := branding.Load(context.Background(), b.db); got.Logo != nil {
		t.Errorf("the logo stayed: %+v", got.Logo)
	}
}

// A refused field is shown next to itself with the form as sent; nothing
// is saved.
func TestBrandingRefusedFieldByField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("admin@example.org", users.Admin, pw)
	br := b.browser()
	br.signIn("admin@example.org", pw)
	br.get("/office/admin/branding")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	res := br.postBranding(br.csrf, url.Values{"brand_name": {strings.Repeat("n", 201)}, "brand_address": {"Kept address"},
		"brand_footer_ar": {strings.Repeat("ف", 501)}}, svg)
	wantStatus(t, "refused", res, http.StatusUnprocessableEntity,
		`id="brand_name-error"`, "longer than 200 characters", `id="brand_logo-error"`, "SVG is refused",
		`id="brand_footer_ar-error"`, `href="#brand_footer_ar"`, "Kept address</textarea>", `aria-invalid="true"`)
	if got, _ := branding.Load(context.Background(), b.db); !got.Empty() {
		t.Errorf("a refused form saved %+v", got)
	}
	big := make([]byte, branding.MaxLogoBytes+10)
	copy(big, testPNG(t, 20, 20))
	wantStatus(t, "a large logo", br.postBranding(br.csrf, url.Values{"brand_name": {"IMA"}}, big), http.StatusUnprocessableEntity,
		`id="brand_logo-error"`, "larger than 512 KiB")
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE action = 'branding.update'`); n != 0 {
		t.Errorf("%d audit entries for refused forms", n)
	}
}

// The branding form is refused to every other role, and without this
// session's form token.
func TestBrandingRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("admin@example.org", users.Admin, pw)
	admin := b.browser()
	admin.signIn("admin@example.org", pw)
	admin.get("/office/admin/branding")
	wantStatus(t, "a forged token", admin.postBranding("forged", url.Values{"brand_name": {"Forged"}}, nil), http.StatusForbidden)
	for _, role := range []users.Role{users.Editor, users.PressOfficer, users.Viewer} {
		email := string(role) + "@example.org"
		b.user(email, role, pw)
		br := b.browser()
		br.signIn(email, pw)
		wantStatus(t, string(role)+" GET", br.get("/office/admin/branding"), http.StatusForbidden, "This needs the Administrator role")
		wantStatus(t, string(role)+" POST", br.postBranding(br.csrf, url.Values{"brand_name": {"Mine"}}, nil), http.StatusForbidden, "This needs the Administrator role")
		if strings.Contains(br.get("/office/").body, "/office/admin/branding") {
			t.Errorf("%s is shown the branding link", role)
		}
	}
	if got, _ := branding.Load(context.Background(), b.db); !got.Empty() {
		t.Errorf("refused requests saved %+v", got)
	}
}

// The password-reset mail carries the branding like every other message.
func TestResetMailCarriesTheBranding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.user("ana@example.org", users.Viewer, pw)
	if _, err := branding.Save(ctx, b.db, branding.Update{Name: "International Mobility Agency", Footer: "Press office: weekdays.",
		Address: "17 route des Morillons\nCH-1211 Geneva 19"}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := b.h.mailResetLink(ctx, "ana@example.org", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	b.settle()
	if len(b.mail.Messages()) != 1 {
		t.Fatalf("%d messages", len(b.mail.Messages()))
	}
	raw := b.mail.Messages()[0].Data
	text, html := strings.ReplaceAll(plainText(t, raw), "\r\n", "\n"), part(t, raw, "text/html")
	if !strings.HasPrefix(text, "International Mobility Agency\n\n") || !strings.Contains(text, "Press office: weekdays.") ||
		!strings.Contains(text, "17 route des Morillons\nCH-1211 Geneva 19") {
		t.Errorf("text part:\n%s", text)
	}
	for _, want := range []string{"International Mobility Agency", "Press office: weekdays.", "<bdi>17 route des Morillons</bdi><br><bdi>CH-1211 Geneva 19</bdi>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML part lacks %q", want)
		}
	}
}
