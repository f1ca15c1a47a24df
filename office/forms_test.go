package office

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/users"
)

// A long release is saved, autosaved and corrected like a short one;
// other forms keep their small bound.
func TestLongReleaseFitsTheEditorsForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.signIn("po@example.org", pw)
	// 150,000 bytes, many of which a form encodes as three.
	long := strings.Repeat("Le bureau ouvre à Nouakchott, où l'accord a été signé.\r\n", 2500)[:150_000]
	br.get("/office/releases/new")
	form := releaseForm("long-release", time.Now().Add(2*time.Hour))
	form.Set("translations.fr.body", long)
	res := br.post("/office/releases/new", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("save a long release: %d\n%.500s", res.status, res.body)
	}
	var id int64
	if _, err := fmt.Sscanf(res.location, "/office/releases/%d", &id); err != nil {
		t.Fatal(err)
	}
	form.Set("stamp", editForm(t, br, id))
	form.Set("translations.en.body", long)
	if res := br.post(fmt.Sprintf("/office/releases/%d/autosave", id), form); res.status != http.StatusOK {
		t.Fatalf("autosave a long release: %d\n%.500s", res.status, res.body)
	}
	if n := count(t, b.db, `SELECT count(*) FROM release_translations WHERE release_id = $1 AND octet_length(body) > 140000`, id); n != 2 {
		t.Errorf("%d long translations saved, want 2", n)
	}
	big := strings.Repeat("a", 70<<10)
	wantStatus(t, "a profile form over its bound", br.post("/office/profile", map[string][]string{"name": {big}}), http.StatusBadRequest)
}
