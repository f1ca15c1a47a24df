package branding_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"reflect"
	"strings"
	"testing"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/templates"
)

// pngOf is a PNG of w×h pixels; noisy makes it compress badly, to make a
// large file.
func pngOf(t *testing.T, w, h int, noisy bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := range h {
		for x := range w {
			c := color.RGBA{0x0b, 0x5c, 0xad, 0xff}
			if noisy {
				seed = seed*1664525 + 1013904223
				c = color.RGBA{uint8(seed >> 24), uint8(seed >> 16), uint8(seed >> 8), 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadWithoutBranding(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	b, err := branding.Load(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Empty() || b.Version != 0 {
		t.Errorf("no branding loads as %+v", b)
	}
	if !reflect.DeepEqual(b.Mail("https://news.example.org"), templates.Brand{}) {
		t.Errorf("no branding shows %+v in mail", b.Mail("https://news.example.org"))
	}
	if _, err := branding.LoadLogo(t.Context(), db); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("no logo: %v, want not found", err)
	}
}

// TestRoundTrip saves, keeps the logo through a change of the texts,
// and removes it.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := t.Context()
	logo := pngOf(t, 400, 100, false)
	saved, err := branding.Save(ctx, db, branding.Update{
		Name:    "  International Mobility Agency ",
		Address: "17 route des Morillons\r\nCH-1211 Geneva 19\r\n\r\n",
		Footer:  "You receive this because you subscribed.",
		Footers: map[string]string{"fr": "Vous recevez ce message parce que vous êtes abonné.", "ar": "  "},
		Logo:    logo,
	}, "user:admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	got, err := branding.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "International Mobility Agency" || got.Address != "17 route des Morillons\nCH-1211 Geneva 19" ||
		got.FooterFor("fr-CA") != "Vous recevez ce message parce que vous êtes abonné." || got.FooterFor("ar") != got.Footer ||
		len(got.Footers) != 1 || got.UpdatedBy != "user:admin@example.org" || got.Version != saved.Version {
		t.Errorf("loaded %+v", got)
	}
	if got.Logo == nil || got.Logo.Type != "image/png" || got.Logo.Width != 400 || got.Logo.Height != 100 || len(got.Logo.Hash) != 32 {
		t.Fatalf("logo %+v", got.Logo)
	}
	m := got.Mail("https://news.example.org/")
	if m.LogoURL != "https://news.example.org/branding/logo?v="+got.Logo.Hash || m.LogoWidth != 400 || m.Name != got.Name {
		t.Errorf("mail brand %+v", m)
	}
	f, err := branding.LoadLogo(ctx, db)
	if err != nil || !bytes.Equal(f.Data, logo) || f.Hash != got.Logo.Hash {
		t.Fatalf("logo file: %v", err)
	}

	// A change of the texts keeps the logo and moves the version.
	again, err := branding.Save(ctx, db, branding.Update{Name: "IMA"}, "user:b@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if again.Logo == nil || again.Logo.Hash != got.Logo.Hash || again.Version <= got.Version || again.Footer != "" || again.Footers != nil {
		t.Errorf("after a text change: %+v", again)
	}
	gone, err := branding.Save(ctx, db, branding.Update{Name: "IMA", RemoveLogo: true}, "user:b@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if gone.Logo != nil {
		t.Errorf("removed logo still there: %+v", gone.Logo)
	}
	if _, err := branding.LoadLogo(ctx, db); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("removed logo: %v", err)
	}
}

// TestRefused: every bad field is named, and nothing is written.
func TestRefused(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	var jpg, gifb bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifb, img, nil); err != nil {
		t.Fatal(err)
	}
	huge := pngOf(t, 600, 600, true)
	if len(huge) <= branding.MaxLogoBytes {
		t.Fatalf("the large logo is only %d bytes", len(huge))
	}
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`)
	truncated := pngOf(t, 100, 100, false)[:30]
	for _, c := range []struct {
		name string
		u    branding.Update
		want string
	}{
		{"long name", branding.Update{Name: strings.Repeat("é", branding.MaxName+1)}, "name: longer than 200 characters"},
		{"two-line name", branding.Update{Name: "A\nB"}, "name: must be one line"},
		{"control in name", branding.Update{Name: "A\x00B"}, "name: holds a control character"},
		{"bidi override in name", branding.Update{Name: "A\u202eB"}, "name: holds a control character"},
		{"long address line", branding.Update{Address: "a\n" + strings.Repeat("x", branding.MaxAddressLine+1)}, "address: line 2 is longer than 120 characters"},
		{"too many address lines", branding.Update{Address: strings.Repeat("a\n", branding.MaxAddressLines+1) + "a"}, "address: more than 6 lines"},
		{"long footer", branding.Update{Footer: strings.Repeat("f", branding.MaxFooter+1)}, "footer: line 1 is longer than 500 characters"},
		{"long French footer", branding.Update{Footers: map[string]string{"fr": strings.Repeat("f ", 300)}}, "footer_fr: line 1 is longer than 500 characters"},
		{"footer in an unknown language", branding.Update{Footers: map[string]string{"de": "x"}}, "footer_de: no footer in that language"},
		{"oversized logo", branding.Update{Logo: huge}, "logo: larger than 512 KiB"},
		{"SVG logo", branding.Update{Logo: svg}, "logo: SVG is refused"},
		{"GIF logo", branding.Update{Logo: gifb.Bytes()}, "logo: is image/gif, not PNG or JPEG"},
		{"text as logo", branding.Update{Logo: []byte("hello")}, "logo: is text/plain, not PNG or JPEG"},
		{"truncated PNG", branding.Update{Logo: truncated}, "logo: is not a readable PNG image"},
		{"tiny logo", branding.Update{Logo: pngOf(t, 8, 8, false)}, "logo: is 8×8 pixels"},
		{"logo added and removed", branding.Update{Logo: jpg.Bytes(), RemoveLogo: true}, "logo: both"},
	} {
		_, err := branding.Save(ctx, db, c.u, "test")
		if communique.ErrorCode(err) != communique.EINVALID {
			t.Errorf("%s: %v, want invalid", c.name, err)
			continue
		}
		found := false
		for _, d := range communique.ErrorDetails(err) {
			found = found || strings.HasPrefix(d, c.want)
		}
		if !found {
			t.Errorf("%s: details %q, want one starting %q", c.name, communique.ErrorDetails(err), c.want)
		}
	}
	if b, err := branding.Load(ctx, db); err != nil || !b.Empty() || b.Version != 0 {
		t.Errorf("refused saves wrote %+v, %v", b, err)
	}
	// A JPEG is as good as a PNG.
	b, err := branding.Save(ctx, db, branding.Update{Logo: jpg.Bytes()}, "test")
	if err != nil || b.Logo == nil || b.Logo.Type != "image/jpeg" {
		t.Errorf("JPEG logo: %+v, %v", b, err)
	}
}
