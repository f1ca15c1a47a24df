package office

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/users"
)

// A browser that runs the office's script gets the editor and a draft's
// page without waiting for the audience count, and the count from the
// page's own request; ?count=1 counts in the page, as for a browser
// without scripts.
func TestAudienceCountedAfterThePage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("viewer@example.org", users.Viewer, pw)
	po := b.browser()
	po.signIn("po@example.org", pw)
	id := b.draftFromEditor(po, "counted-later")
	page := fmt.Sprintf("/office/releases/%d", id)
	edit := page + "/edit"

	// Without the script's cookie, the pages count as they are made.
	res := po.get(page)
	wantStatus(t, "the page without scripts", res, http.StatusOK, `id="audience-total"`, "The embargoed notice goes now to")
	if strings.Contains(res.body, `data-src=`) {
		t.Error("a page for a browser without scripts leaves its count to a script")
	}
	wantStatus(t, "the editor without scripts", po.get(edit), http.StatusOK, `id="panel-total"`)

	u, _ := url.Parse(b.url + "/office/")
	po.jar.SetCookies(u, []*http.Cookie{{Name: jsCookie, Value: "1", Path: "/office"}})
	res = po.get(page)
	wantStatus(t, "the page with scripts", res, http.StatusOK,
		fmt.Sprintf(`data-src="/office/releases/%d/audience"`, id), `id="audience-pending"`, `id="confirm" name="confirm" disabled`, `id="audience-count-link"`)
	if strings.Contains(res.body, `id="audience-total"`) {
		t.Error("a page for a browser with scripts counted its audience")
	}
	res = po.get(edit)
	wantStatus(t, "the editor with scripts", res, http.StatusOK, `id="panel-pending" data-pending="true"`)
	if strings.Contains(res.body, `id="panel-total"`) {
		t.Error("the editor for a browser with scripts counted its audience")
	}
	wantStatus(t, "the page asked to count", po.get(page+"?count=1"), http.StatusOK, `id="audience-total"`)
	wantStatus(t, "the editor asked to count", po.get(edit+"?count=1"), http.StatusOK, `id="panel-total"`)

	audience := func(br *browser) (out struct {
		Audience, Publish, Why string
		Nobody                 bool
	}) {
		t.Helper()
		res := br.get(page + "/audience")
		if res.status != http.StatusOK {
			t.Fatalf("the audience: %d\n%s", res.status, res.body)
		}
		if err := json.Unmarshal([]byte(res.body), &out); err != nil {
			t.Fatalf("the audience: %v\n%s", err, res.body)
		}
		return out
	}
	a := audience(po)
	want := count(t, b.db, `SELECT count(*) FROM contacts c WHERE status = 'active' AND EXISTS (
		SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id AND s.kind = 'country' AND s.value = 'MR')`)
	if !strings.Contains(a.Audience, fmt.Sprintf(`<dd id="audience-total" class="">%d</dd>`, want)) || a.Nobody || a.Why != "" {
		t.Errorf("the audience of %d readers reads %+v", want, a)
	}
	if !strings.HasPrefix(a.Publish, "The embargoed notice goes now to") {
		t.Errorf("the publish sentence reads %q", a.Publish)
	}
	// A viewer may read it too.
	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	audience(viewer)

	// Nobody follows Japan: publishing is refused, and the page says why.
	b.db.MustExec(`UPDATE releases SET countries = '{JP}', embargo_missions = 'none', embargo_verified = false,
		embargo_until = $2 WHERE id = $1`, id, time.Now().Add(time.Hour))
	if a := audience(po); !a.Nobody || !strings.Contains(a.Why, "Nobody would receive it") || !strings.Contains(a.Audience, `id="audience-nobody"`) {
		t.Errorf("an audience of nobody reads %+v", a)
	}
}
