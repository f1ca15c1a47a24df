package office

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"

	"github.com/communique/communique/users"
)

// A new user opens the link `users add` printed, chooses a password,
// lands on the home page, signs out, and signs in again in Arabic, on a
// phone.
func TestBrowserWelcomeSignOutSignInArabic(t *testing.T) {
	exe := headless.Chromium(t)
	b := setup(t)
	ctx := context.Background()
	u, err := users.Create(ctx, b.db, users.NewUser{Email: "layla.haddad@example.org", Name: "Layla Haddad", Role: users.PressOfficer})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := users.IssueLink(ctx, b.db, u.ID, users.SignInLink, 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	d := newDriver(t, exe, 60*time.Second)
	d.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))

	d.do(chromedp.Navigate(b.url+"/office/welcome/"+tok), chromedp.WaitVisible(chromedp.ID("password-form")))
	d.checkPage("en", "ltr", "welcome")
	const password = "olive harbour lantern seven"
	d.do(
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("password2"), password),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("home")),
	)
	d.checkPage("en", "ltr", "home")
	d.contains("#home h2", "Layla Haddad")
	d.contains("#role", "Press officer")
	if got, _ := users.Get(ctx, b.db, u.ID); !got.HasPass {
		t.Fatal("no password after the welcome page")
	}

	d.do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin-form")))
	d.checkPage("en", "ltr", "signed-out")
	d.contains("#notice", "You have signed out.")
	if loc := d.location(); !strings.HasSuffix(loc, "/office/signin") {
		t.Fatalf("after signing out: %s", loc)
	}
	// The home page is closed again.
	d.do(chromedp.Navigate(b.url+"/office/"), chromedp.WaitVisible(chromedp.ID("signin-form")))

	d.do(chromedp.Click(chromedp.ID("lang-ar")), chromedp.WaitVisible(chromedp.CSS(`html[lang=ar] #signin-form`)))
	d.checkPage("ar", "rtl", "signin")
	d.contains("h1", "تسجيل الدخول إلى المكتب الإعلامي")
	d.do(
		chromedp.SendKeys(chromedp.ID("email"), "layla.haddad@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("home")),
	)
	d.checkPage("ar", "rtl", "home")
	d.contains("#home h2", "Layla Haddad")
	d.contains("#role", "مسؤول إعلامي")
	d.do(chromedp.Click(chromedp.ID("profile-link")), chromedp.WaitVisible(chromedp.ID("details-form")))
	d.checkPage("ar", "rtl", "profile")
	// Nothing is wider than the phone.
	wide, err := chromedp.Run(d.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("the profile is wider than the screen (%v)", err)
	}
	// The user's name stays isolated in right-to-left text.
	dir, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#who')).direction`))
	if err != nil || dir != "rtl" {
		t.Errorf("the header's direction: %q %v", dir, err)
	}
}

// driver runs actions in one tab, failing the test on the first error.
type driver struct {
	t   *testing.T
	ctx context.Context
}

// newDriver starts a browser of t's own, closed when t ends, and drives
// its one tab; the tab gives up after timeout.
func newDriver(t *testing.T, exe string, timeout time.Duration) *driver {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe))...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	return &driver{t: t, ctx: tab}
}

func (d *driver) do(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, steps...); err != nil {
		d.t.Fatal(err)
	}
}

// checkPage checks the page's language and direction as the browser
// computes them, and saves a screenshot when COMMUNIQUE_SCREENSHOTS names
// a directory.
func (d *driver) checkPage(lang, dir, step string) {
	d.t.Helper()
	got, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]string](
		`[document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.body).direction]`))
	if err != nil {
		d.t.Fatal(err)
	}
	if !slices.Equal(got, []string{lang, dir, dir}) {
		d.t.Errorf("%s: lang, dir and computed direction %q, want %s, %s", step, got, lang, dir)
	}
	if out := os.Getenv("COMMUNIQUE_SCREENSHOTS"); out != "" {
		png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(out, "office-"+lang+"-"+step+".png"), png, 0o644)
		}
		if err != nil {
			d.t.Logf("screenshot: %v", err)
		}
	}
}

func (d *driver) contains(sel, want string) {
	d.t.Helper()
	text, err := chromedp.Run(d.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		d.t.Fatal(err)
	}
	if !strings.Contains(text, want) {
		d.t.Errorf("%s reads %q, want %q", sel, text, want)
	}
}

func (d *driver) location() string {
	d.t.Helper()
	loc, err := chromedp.Run(d.ctx, chromedp.Location())
	if err != nil {
		d.t.Fatal(err)
	}
	return loc
}
