package office

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"

	"github.com/communique/communique/users"
)

// A press officer imports a CSV file with bad lines through the form, on
// a tablet: the page names each bad line and what is wrong with it, and
// nothing is imported until the officer chooses to leave them out.
func TestBrowserImportShowsEachBadLine(t *testing.T) {
	exe := headless.Chromium(t)
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	file := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(file, []byte("email,name,kind,country,languages\n"+
		"lena@example.net,Lena Weber,journalist,DE,de\n"+
		"lena at example.net,Lena Weber,journalist,DE,de\n"+
		"mission.xx@example.org,A mission,mission,,fr\n"+
		"ravi@example.net,Ravi Rao,journalist,IN,en\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := count(t, b.db, `SELECT count(*) FROM contacts`)

	d := newDriver(t, exe, 60*time.Second)
	d.do(chromedp.EmulateViewport(820, 1180, chromedp.EmulateMobile))
	d.do(chromedp.Navigate(b.url+"/office/signin"), chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("email"), "po@example.org"), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("home")))
	d.do(chromedp.Click(chromedp.ID("contacts-link")), chromedp.WaitVisible(chromedp.ID("contact-list")),
		chromedp.Click(chromedp.ID("import-link")), chromedp.WaitVisible(chromedp.ID("import-form")))
	d.checkPage("en", "ltr", "import")

	d.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}), chromedp.Click(chromedp.ID("do-import")),
		chromedp.WaitVisible(chromedp.ID("import-errors")))
	d.checkPage("en", "ltr", "import-refused")
	d.contains("#form-error", "Nothing was imported")
	d.contains("#line-3", "lena at example.net")
	d.contains("#line-4", "country is required for a mission")
	d.contains("#import-counts", "Lines refused: 2")
	if n := count(t, b.db, `SELECT count(*) FROM contacts`); n != before {
		t.Fatalf("%d contacts written from a refused file", n-before)
	}

	// The file again, the bad lines left out.
	d.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}), chromedp.Click(chromedp.ID("skip_invalid")),
		chromedp.Click(chromedp.ID("do-import")), chromedp.WaitVisible(chromedp.ID("notice")))
	d.contains("#notice", "Added: 2")
	d.contains("#line-3", "lena at example.net")
	if n := count(t, b.db, `SELECT count(*) FROM contacts WHERE email IN ('lena@example.net', 'ravi@example.net')`); n != 2 {
		t.Errorf("%d of the good lines imported, want 2", n)
	}
}
