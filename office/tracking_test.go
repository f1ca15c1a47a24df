package office

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/users"
)

// The editor turns a release's opens and clicks on and off, and keeps
// the setting through an edit that does not change it.
func TestEditorSetsTracking(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.signIn("po@example.org", pw)
	tracking := func(id int64) (opens, clicks bool) {
		t.Helper()
		if err := b.db.QueryRow(`SELECT track_opens, track_clicks FROM releases WHERE id = $1`, id).Scan(&opens, &clicks); err != nil {
			t.Fatal(err)
		}
		return opens, clicks
	}
	br.get("/office/releases/new")
	form := releaseForm("counted", time.Now().Add(2*time.Hour))
	form.Set("track_opens", "on")
	res := br.post("/office/releases/new", form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.status, res.body)
	}
	var id int64
	if _, err := fmt.Sscanf(res.location, "/office/releases/%d", &id); err != nil {
		t.Fatal(err)
	}
	if o, c := tracking(id); !o || c {
		t.Errorf("after saving with opens ticked: opens %v, clicks %v", o, c)
	}
	edit := fmt.Sprintf("/office/releases/%d/edit", id)
	wantStatus(t, "the editor", br.get(edit), http.StatusOK,
		`id="track_opens" name="track_opens" aria-describedby="tracking-hint" checked`, `id="track_clicks" name="track_clicks" aria-describedby="tracking-hint">`)
	form = releaseForm("counted", time.Now().Add(2*time.Hour))
	form.Set("stamp", editForm(t, br, id))
	form.Set("track_clicks", "on")
	if res := br.post(edit, form); res.status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", res.status, res.body)
	}
	if o, c := tracking(id); o || !c {
		t.Errorf("after an edit with clicks ticked alone: opens %v, clicks %v", o, c)
	}
}

// The report shows what a release that counts opens and clicks
// collected, with the links followed; a release that counts nothing
// shows no such section.
func TestReportShowsOpensAndClicks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("viewer@example.org", users.Viewer, pw)
	id, dispatch := b.publishedRelease("counted")
	b.received(dispatch)
	br := b.browser()
	br.signIn("viewer@example.org", pw)
	path := fmt.Sprintf("/office/releases/%d/report", id)
	res := br.get(path)
	wantStatus(t, "an untracked report", res, http.StatusOK)
	if strings.Contains(res.body, `id="engagement"`) {
		t.Error("a release that counts nothing shows opens and clicks")
	}

	b.db.MustExec(`UPDATE releases SET track_opens = true, track_clicks = true WHERE id = $1`, id)
	b.db.MustExec(`INSERT INTO engagement (delivery_id, opens, first_open_at, last_open_at)
		SELECT id, 2, now(), now() FROM deliveries WHERE dispatch_id = $1 ORDER BY id LIMIT 2`, dispatch)
	b.db.MustExec(`INSERT INTO engagement (delivery_id, clicks, first_click_at, last_click_at)
		SELECT id, 3, now(), now() FROM deliveries WHERE dispatch_id = $1 ORDER BY id DESC LIMIT 1`, dispatch)
	b.db.MustExec(`INSERT INTO engagement_links (delivery_id, url, clicks)
		SELECT id, 'https://example.org/annex', 3 FROM deliveries WHERE dispatch_id = $1 ORDER BY id DESC LIMIT 1`, dispatch)
	wantStatus(t, "a tracked report", br.get(path), http.StatusOK,
		`id="engagement-opened">Opened by 3.`, `id="engagement-clicked">Links followed by 1.`,
		`<td dir="ltr" class="url">https://example.org/annex</td><td class="num">1</td><td class="num">3</td>`,
		"Apple Mail fetches the image")
}
