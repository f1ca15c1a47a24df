package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/users"
)

func TestAdminPagesRefusedToOtherRoles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("ed@example.org", users.Editor, pw)
	ed := b.browser()
	ed.signIn("ed@example.org", pw)
	if strings.Contains(ed.get("/office/").body, `id="admin-link"`) {
		t.Error("an editor is shown the administration link")
	}
	for _, path := range []string{"/office/admin/users", "/office/admin/tokens", "/office/admin/taxonomy", "/office/admin/audit"} {
		wantStatus(t, path, ed.get(path), http.StatusForbidden, "This needs the Administrator role")
	}
	for _, path := range []string{"/office/admin/users", "/office/admin/users/1", "/office/admin/tokens/1/revoke", "/office/admin/topics", "/office/admin/regions"} {
		wantStatus(t, "POST "+path, ed.post(path, url.Values{"new_email": {"x@example.org"}, "role": {"admin"}}), http.StatusForbidden, "This needs the Administrator role")
	}
	if n := count(t, b.db, `SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users after refused requests", n)
	}
}

func TestAdminUsersAndTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	admin := b.user("admin@example.org", users.Admin, pw)
	ed := b.user("ed@example.org", users.Editor, pw)
	tok, _, err := users.CreateToken(ctx, b.db, users.NewToken{UserID: ed.ID, Name: "newsroom-script"})
	if err != nil {
		t.Fatal(err)
	}
	br := b.browser()
	br.signIn("admin@example.org", pw)
	wantStatus(t, "the users", br.get("/office/admin/users"), http.StatusOK, `id="admin-link"`, "ed@example.org", `id="add-user-form"`)

	wantStatus(t, "a bad user", br.post("/office/admin/users", url.Values{"new_email": {"not an address"}, "new_role": {"emperor"}}),
		http.StatusUnprocessableEntity, `id="new_role-error"`, `value="not an address"`)
	res := br.post("/office/admin/users", url.Values{"new_email": {"nadia@example.org"}, "new_name": {"Nadia"}, "new_role": {"press_officer"}, "new_language": {"fr"}})
	wantStatus(t, "a new user", res, http.StatusCreated, "nadia@example.org is added", `id="welcome-link"`)
	m := regexp.MustCompile(`id="welcome-link"[^>]* value="([^"]+)"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no welcome link\n%s", res.body)
	}
	link := m[1]
	if !strings.HasPrefix(link, b.url+"/office/welcome/") {
		t.Fatalf("welcome link %q", link)
	}
	nadia, err := users.ByEmail(ctx, b.db, "nadia@example.org")
	if err != nil || nadia.Role != users.PressOfficer || nadia.UILanguage != "fr" {
		t.Fatalf("created: %+v %v", nadia, err)
	}
	if _, err := users.CheckLink(ctx, b.db, strings.TrimPrefix(link, b.url+"/office/welcome/"), users.SignInLink); err != nil {
		t.Errorf("the link shown does not work: %v", err)
	}
	wantStatus(t, "the same address again", br.post("/office/admin/users", url.Values{"new_email": {"nadia@example.org"}, "new_role": {"viewer"}}),
		http.StatusConflict, `id="new_email-error"`)

	// A role lowered lowers the user's tokens; disabling stops them.
	wantStatus(t, "lower a role", br.post(fmt.Sprintf("/office/admin/users/%d", ed.ID), url.Values{"role": {"viewer"}}), http.StatusSeeOther)
	if got, _ := users.GetToken(ctx, b.db, tok.ID); got.Role != users.Viewer {
		t.Errorf("token role after lowering: %s", got.Role)
	}
	wantStatus(t, "disable", br.post(fmt.Sprintf("/office/admin/users/%d", ed.ID), url.Values{"status": {"disabled"}}), http.StatusSeeOther)
	if u, _ := users.Get(ctx, b.db, ed.ID); u.Status != users.Disabled {
		t.Errorf("after disabling: %s", u.Status)
	}
	// The last administrator stays one.
	wantStatus(t, "the last administrator", br.post(fmt.Sprintf("/office/admin/users/%d", admin.ID), url.Values{"status": {"disabled"}}),
		http.StatusConflict, "last active administrator")
	wantStatus(t, "a bad role", br.post(fmt.Sprintf("/office/admin/users/%d", nadia.ID), url.Values{"role": {"emperor"}}), http.StatusUnprocessableEntity, "is not a role")

	wantStatus(t, "the tokens", br.get("/office/admin/tokens"), http.StatusOK, "newsroom-script", "ed@example.org")
	wantStatus(t, "revoke", br.post(fmt.Sprintf("/office/admin/tokens/%d/revoke", tok.ID), nil), http.StatusSeeOther)
	if got, _ := users.GetToken(ctx, b.db, tok.ID); got.RevokedAt == nil {
		t.Error("the token is not revoked")
	}
	wantStatus(t, "revoke an unknown token", br.post("/office/admin/tokens/99999/revoke", nil), http.StatusNotFound)

	entries, err := releases.Audit(ctx, b.db, releases.AuditFilter{Actor: "user:admin@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "user.create user.update user.update token.revoke" {
		t.Errorf("audit: %s", got)
	}
}

func TestAdminTaxonomyAndAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.user("admin@example.org", users.Admin, pw)
	br := b.browser()
	br.signIn("admin@example.org", pw)
	wantStatus(t, "the page", br.get("/office/admin/taxonomy"), http.StatusOK, `id="topic-form"`, `id="region-form"`)

	wantStatus(t, "a bad topic", br.post("/office/admin/topics", url.Values{"topic_slug": {"Not A Slug"}}), http.StatusUnprocessableEntity,
		`id="topic_slug-error"`, `id="topic_name_en-error"`, `value="Not A Slug"`)
	wantStatus(t, "a topic", br.post("/office/admin/topics", url.Values{"topic_slug": {"migration-policy"},
		"topic_name_en": {"Migration policy"}, "topic_name_fr": {"Politique migratoire"}}), http.StatusSeeOther)
	topic, err := taxonomy.GetTopic(ctx, b.db, "migration-policy")
	if err != nil || topic.Names["fr"] != "Politique migratoire" {
		t.Fatalf("topic: %+v %v", topic, err)
	}
	wantStatus(t, "a topic again", br.post("/office/admin/topics", url.Values{"topic_slug": {"migration-policy"}, "topic_name_en": {"Again"}}),
		http.StatusConflict, `id="topic_slug-error"`, "is taken")

	wantStatus(t, "a bad region", br.post("/office/admin/regions", url.Values{"region_slug": {"sahel"}, "region_name_en": {"Sahel"},
		"region_countries": {"MR, QQ"}, "region_parent": {"nowhere"}}), http.StatusUnprocessableEntity, `id="region_countries-error"`, `value="MR, QQ"`)
	wantStatus(t, "a region", br.post("/office/admin/regions", url.Values{"region_slug": {"sahel"}, "region_name_en": {"Sahel"},
		"region_countries": {"mr, sn ml"}}), http.StatusSeeOther)
	reg, err := taxonomy.GetRegion(ctx, b.db, "sahel")
	if err != nil || strings.Join(reg.Countries, ",") != "ML,MR,SN" {
		t.Fatalf("region: %+v %v", reg, err)
	}
	wantStatus(t, "the page after", br.get("/office/admin/taxonomy"), http.StatusOK, "Migration policy", "ML, MR, SN")

	// The audit log, filtered by actor and by release.
	b.importContacts()
	lc := &releases.Lifecycle{DB: b.db}
	id, err := lc.Create(ctx, &releases.Draft{Release: releases.Release{Slug: "audited", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Audited"}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"}}}, "user:writer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	all := br.get("/office/admin/audit")
	wantStatus(t, "the audit log", all, http.StatusOK, "topic.create", "region.create", "user:writer@example.org")
	mine := br.get("/office/admin/audit?actor=" + url.QueryEscape("user:admin@example.org"))
	wantStatus(t, "by actor", mine, http.StatusOK, "topic.create")
	if strings.Contains(mine.body, "writer@example.org") {
		t.Error("the actor filter lets others through")
	}
	byRelease := br.get(fmt.Sprintf("/office/admin/audit?release=%d", id))
	wantStatus(t, "by release", byRelease, http.StatusOK, "writer@example.org", fmt.Sprintf(`href="/office/releases/%d"`, id))
	if strings.Contains(byRelease.body, "topic.create") {
		t.Error("the release filter lets others through")
	}
	wantStatus(t, "a bad release number", br.get("/office/admin/audit?release=abc"), http.StatusBadRequest, `id="release-error"`, "Enter a number.")
	wantStatus(t, "a bad page", br.get("/office/admin/audit?after=-1"), http.StatusBadRequest, `<a href="#after">Page</a>: This is not one of the choices offered.`, "topic.create")
}
