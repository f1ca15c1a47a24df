package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/communique/communique/users"
)

// Clearance: a press officer submits, an editor other than the author
// clears; an edit un-clears; only a cleared release is published.
func TestClearance(t *testing.T) {
	b := setup(t)
	b.h.ClearanceRequired = true
	b.importReleaseContacts()
	tok := map[string]string{}
	for _, who := range []struct {
		email string
		role  users.Role
	}{{"amina@example.org", users.PressOfficer}, {"omar@example.org", users.PressOfficer}, {"head@example.org", users.Editor}, {"deputy@example.org", users.Editor}} {
		u, err := users.Create(b.ctx, b.db, users.NewUser{Email: who.email, Role: who.role})
		if err != nil {
			t.Fatal(err)
		}
		_, tok[who.email], _ = users.CreateToken(b.ctx, b.db, users.NewToken{UserID: u.ID, Name: strings.Split(who.email, "@")[0]})
	}
	as := func(who, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok[who])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, created := as("amina@example.org", "POST", "/api/v1/releases", releaseJSON("clearance-test", ""))
	if code != 201 {
		t.Fatalf("create: %d %v", code, created)
	}
	id := "/api/v1/releases/" + idStr(int64(created["id"].(float64)))

	if code, out := as("amina@example.org", "POST", id+"/publish", ""); code != 409 || !strings.Contains(out["error"].(string), "not cleared") {
		t.Fatalf("publish before clearance: %d %v", code, out)
	}
	if code, _ := as("amina@example.org", "POST", id+"/clear", ""); code != 403 {
		t.Fatalf("a press officer clears: %d", code)
	}
	if code, _ := as("head@example.org", "POST", id+"/clear", ""); code != 409 {
		t.Fatalf("clearing a draft never submitted: %d", code)
	}
	if code, out := as("amina@example.org", "POST", id+"/submit", ""); code != 200 || out["clearance"].(map[string]any)["state"] != "submitted" {
		t.Fatalf("submit: %d %v", code, out)
	}
	if code, _ := as("amina@example.org", "POST", id+"/submit", ""); code != 409 {
		t.Fatalf("submit twice: %d", code)
	}
	var list releaseListAnswer
	b.api("GET", "/api/v1/releases?status=submitted", "", &list)
	if list.slugs() != "clearance-test" {
		t.Fatalf("submitted releases: %s", list.slugs())
	}
	if code, out := as("head@example.org", "POST", id+"/return", `{}`); code != 422 || !strings.Contains(strings.Join(toStrings(out["details"]), " "), "comment") {
		t.Fatalf("return without a comment: %d %v", code, out)
	}
	if code, out := as("head@example.org", "POST", id+"/return", `{"comment": "The second paragraph names the wrong minister."}`); code != 200 || out["clearance"].(map[string]any)["state"] != "returned" {
		t.Fatalf("return: %d %v", code, out)
	}
	as("amina@example.org", "POST", id+"/submit", "")
	if code, out := as("head@example.org", "POST", id+"/clear", `{"comment": "Good to go."}`); code != 200 || out["clearance"].(map[string]any)["state"] != "cleared" || out["clearance"].(map[string]any)["by"] != "token:head" {
		t.Fatalf("clear: %d %v", code, out)
	}
	// An edit after clearance needs clearing again.
	if code, _ := as("omar@example.org", "PUT", id, releaseJSON("clearance-test", `, "greeting": true`)); code != 200 && code != 204 {
		t.Fatalf("edit: %d", code)
	}
	if code, out := as("amina@example.org", "POST", id+"/publish", ""); code != 409 {
		t.Fatalf("publish after an edit un-cleared it: %d %v", code, out)
	}
	// The author cannot clear their own release, even as an editor.
	code, mine := as("head@example.org", "POST", "/api/v1/releases", releaseJSON("editors-own", ""))
	if code != 201 {
		t.Fatal(code)
	}
	own := "/api/v1/releases/" + idStr(int64(mine["id"].(float64)))
	as("head@example.org", "POST", own+"/submit", "")
	if code, out := as("head@example.org", "POST", own+"/clear", ""); code != 409 || !strings.Contains(out["error"].(string), "someone else") {
		t.Fatalf("an author clears their own release: %d %v", code, out)
	}
	if code, _ := as("deputy@example.org", "POST", own+"/clear", ""); code != 200 {
		t.Fatalf("another editor clears: %d", code)
	}
	if code, out := as("amina@example.org", "POST", own+"/publish", ""); code != 202 {
		t.Fatalf("publish a cleared release: %d %v", code, out)
	}
	// The audit log says who did each step, with the edit's before and after.
	var audit struct {
		Entries []struct {
			Actor   string         `json:"actor"`
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"entries"`
	}
	b.api("GET", "/api/v1/audit?release_id="+idStr(int64(created["id"].(float64))), "", &audit)
	var steps []string
	for _, e := range audit.Entries {
		steps = append(steps, e.Action+" by "+e.Actor)
		if e.Action == "edit" && (e.Details["before"] == nil || e.Details["after"] == nil || e.Details["clearance_dropped"] != "cleared") {
			t.Errorf("edit entry: %v", e.Details)
		}
	}
	want := "create by token:amina, submit by token:amina, return by token:head, submit by token:amina, clear by token:head, edit by token:omar"
	if strings.Join(steps, ", ") != want {
		t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(steps, ", "), want)
	}
}

func toStrings(v any) []string {
	var out []string
	if a, ok := v.([]any); ok {
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
