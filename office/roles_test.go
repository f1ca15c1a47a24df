package office

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/communique/communique/users"
)

// Every page and action beyond writing and publishing is refused, with
// 403 naming the role it needs, to the role just below that one; nothing
// it would change is changed.
func TestMorePagesRefusedToTheRoleBelow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	id, _ := b.publishedRelease("role-checked")
	browsers := map[users.Role]*browser{}
	for _, role := range users.Roles[:len(users.Roles)-1] {
		email := string(role) + "@example.org"
		b.user(email, role, pw)
		browsers[role] = b.browser()
		browsers[role].signIn(email, pw)
	}
	before := count(t, b.db, `SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM suppressions) + (SELECT count(*) FROM users) + (SELECT count(*) FROM topics)`)
	checked := 0
	for _, rt := range slices.Concat(moreRouteTable, editorRouteTable, mediaRouteTable) {
		need := users.Need(rt.right)
		i := slices.Index(users.Roles, need)
		if i == 0 {
			continue // every user may
		}
		below := users.Roles[i-1]
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.ReplaceAll(path, "{id}", "1")
		if strings.Contains(path, "/releases/") {
			path = strings.Replace(path, "/releases/1/", "/releases/"+strconvID(id)+"/", 1)
		}
		br := browsers[below]
		var res response
		if method == http.MethodGet {
			res = br.get(path)
		} else {
			br.get("/office/")
			res = br.post(path, url.Values{"confirm": {"on"}, "email": {"awa@example.com"}, "new_email": {"x@example.org"},
				"new_role": {"admin"}, "role": {"admin"}, "topic_slug": {"t"}, "topic_name_en": {"T"}})
		}
		want := "This needs the " + translate("en", "role_"+string(need)) + " role"
		if res.status != http.StatusForbidden || !strings.Contains(res.body, want) {
			t.Errorf("%s as %s: %d, want 403 saying %q", rt.pattern, below, res.status, want)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d routes checked", checked)
	}
	if after := count(t, b.db, `SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM suppressions) + (SELECT count(*) FROM users) + (SELECT count(*) FROM topics)`); after != before {
		t.Errorf("refused requests changed %d rows", after-before)
	}
}

func strconvID(id int64) string { return strconv.FormatInt(id, 10) }

// Every new page reads whole in each language: no text missing, the
// page's language and direction set, and the office's safety headers.
func TestMorePagesAreLocalized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("admin@example.org", users.Admin, pw)
	id, dispatch := b.publishedRelease("localized")
	b.received(dispatch)
	contact := b.contactID("awa@example.com")
	b.db.MustExec(`INSERT INTO suppressions (email, reason, detail) VALUES ('gone@example.net', 'blocked', 'asked')`)
	br := b.browser()
	br.signIn("admin@example.org", pw)
	for _, lang := range []string{"en", "fr", "es", "ar"} {
		for _, rt := range moreRouteTable {
			method, path, _ := strings.Cut(rt.pattern, " ")
			// A template preview's frame is the message itself, in its own language.
			if method != http.MethodGet || strings.HasSuffix(path, ".csv") || strings.HasSuffix(path, "/export") || strings.HasSuffix(path, "/frame") {
				continue
			}
			path = strings.ReplaceAll(path, "/templates/{message}/{lang}", "/templates/public/"+lang)
			path = strings.ReplaceAll(path, "/releases/{id}", "/releases/"+strconvID(id))
			path = strings.ReplaceAll(path, "/contacts/{id}", "/contacts/"+strconvID(contact))
			res := br.get(path + "?lang=" + lang)
			if res.status != http.StatusOK {
				t.Errorf("%s %s: %d", lang, path, res.status)
			}
			if want := `<html lang="` + lang + `" dir="` + pageDir(lang) + `">`; !strings.Contains(res.body, want) {
				t.Errorf("%s %s: not in %s", lang, path, want)
			}
			if strings.Contains(res.body, "[missing text") {
				t.Errorf("%s %s: a text is missing", lang, path)
			}
			if res.header.Get("X-Frame-Options") != "DENY" || res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: headers %v", lang, path, res.header)
			}
		}
	}
}
