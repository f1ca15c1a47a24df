package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
)

// A release that counts opens and clicks, end to end: the setting is
// off by default and edited on the draft; each reader's message carries
// its own pixel and click addresses (the unsubscribe link untouched);
// fetching them counts, and the report and the delivery's timeline show
// the counts. A release that counts nothing has neither.
func TestOpensAndClicksEndToEnd(t *testing.T) {
	b := setup(t)
	smtp, pool := b.withMail(mailbox.Options{})
	b.withDispatcher(pool)
	b.importReleaseContacts()
	body := `{"fr": {"title": "Accord", "body": "Le [texte](https://www.example.org/accord?x=1&y=2) est en ligne."},
		"en": {"title": "Agreement", "body": "The [text](https://www.example.org/agreement?x=1&y=2) is online."}}`
	id := b.createRelease(releaseJSONIn("counted", body, ""))
	var rel struct {
		Tracking map[string]bool `json:"tracking"`
	}
	path := fmt.Sprintf("/api/v1/releases/%d", id)
	if b.api("GET", path, "", &rel); rel.Tracking == nil || rel.Tracking["opens"] || rel.Tracking["clicks"] {
		t.Fatalf("a new release tracks %v, want nothing", rel.Tracking)
	}
	if st := b.api("PUT", path, releaseJSONIn("counted", body, `, "tracking": {"opens": true, "clicks": true}`), nil); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	if b.api("GET", path, "", &rel); !rel.Tracking["opens"] || !rel.Tracking["clicks"] {
		t.Fatalf("after PUT the release tracks %v", rel.Tracking)
	}
	// An edit that does not mention the setting (the press office's
	// editor) keeps it.
	if st := b.api("PUT", path, releaseJSONIn("counted", body, ""), nil); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	if b.api("GET", path, "", &rel); !rel.Tracking["opens"] || !rel.Tracking["clicks"] {
		t.Fatalf("an edit without the setting changed it to %v", rel.Tracking)
	}
	if st := b.api("PUT", path, releaseJSONIn("counted", body, `, "tracking": {"opens": "yes"}`), nil); st != 400 && st != 422 {
		t.Fatalf("a bad tracking value: %d", st)
	}
	if st := b.api("POST", path+"/publish", "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	got := byRecipient(t, waitMail(t, smtp, 4), 0)

	pixelRE := regexp.MustCompile(`<img src="(` + regexp.QuoteMeta(b.srv.URL) + `/t/o/[^"]+\.gif)"`)
	clickRE := regexp.MustCompile(`href="(` + regexp.QuoteMeta(b.srv.URL) + `/t/c/[^"]+)"`)
	textClickRE := regexp.MustCompile(`<(` + regexp.QuoteMeta(b.srv.URL) + `/t/c/[^>]+)>`)
	awa, john := got["awa@example.com"], got["john@example.com"]
	for to, m := range got {
		if len(pixelRE.FindAllString(m.html, -1)) != 1 || len(clickRE.FindAllString(m.html, -1)) < 2 || !textClickRE.MatchString(m.text) {
			t.Fatalf("%s: want a pixel and click addresses in both parts:\n%s\n%s", to, m.text, m.html)
		}
		if strings.Contains(m.html, `href="https://www.example.org/`) || !strings.Contains(m.html, b.srv.URL+"/unsubscribe/") ||
			!strings.Contains(m.text, "<"+b.srv.URL+"/unsubscribe/") {
			t.Fatalf("%s: the body's link is left, or the unsubscribe link was rewritten:\n%s", to, m.html)
		}
	}
	if pixelRE.FindStringSubmatch(awa.html)[1] == pixelRE.FindStringSubmatch(john.html)[1] {
		t.Fatal("two readers share a pixel")
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fetch := func(u string) *http.Response {
		t.Helper()
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, m := range []sentMessage{awa, john} {
		if resp := fetch(pixelRE.FindStringSubmatch(m.html)[1]); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" {
			t.Fatalf("pixel: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	var bodyLink string
	for _, u := range clickRE.FindAllStringSubmatch(awa.html, -1) {
		if strings.Contains(u[1], "accord") {
			bodyLink = strings.ReplaceAll(u[1], "&amp;", "&")
		}
	}
	if resp := fetch(bodyLink); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://www.example.org/accord?x=1&y=2" {
		t.Fatalf("click %s: %d to %q", bodyLink, resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, u := range textClickRE.FindAllStringSubmatch(awa.text, -1) {
		if strings.Contains(u[1], "accord") {
			fetch(u[1])
		}
	}
	// The same address with another target leads nowhere.
	if resp := fetch(strings.Replace(bodyLink, "accord", "evil", 1)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("altered click: %d", resp.StatusCode)
	}

	// Counted after answering: wait for the report to show it.
	type report struct {
		Total      int `json:"total"`
		Engagement *struct {
			Opens, Clicks   bool
			Opened, Clicked int
			Links           []struct {
				URL             string
				Clicked, Clicks int
			}
		} `json:"engagement"`
	}
	var rep report
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep = report{}
		if st := b.api("GET", path+"/report", "", &rep); st != 200 {
			t.Fatalf("report: %d", st)
		}
		if e := rep.Engagement; e != nil && e.Opened == 2 && e.Clicked == 1 && len(e.Links) == 1 && e.Links[0].Clicks == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("report: %+v", rep.Engagement)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if e := rep.Engagement; !e.Opens || !e.Clicks || e.Links[0].URL != "https://www.example.org/accord?x=1&y=2" || e.Links[0].Clicked != 1 {
		t.Fatalf("report: %+v", e)
	}

	var deliveryID int64
	if err := b.db.Get(&deliveryID, `SELECT id FROM deliveries WHERE email = 'awa@example.com'`); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Timeline []struct {
			Type       string
			Engagement *struct {
				Count int
				URL   string
			}
		}
	}
	if st := b.api("GET", fmt.Sprintf("/api/v1/deliveries/%d", deliveryID), "", &d); st != 200 {
		t.Fatalf("delivery: %d", st)
	}
	var kinds []string
	for _, ev := range d.Timeline {
		k := ev.Type
		if ev.Engagement != nil {
			k += fmt.Sprintf(" %d %s", ev.Engagement.Count, ev.Engagement.URL)
		}
		kinds = append(kinds, k)
	}
	if got := strings.Join(kinds, ", "); got != "attempt, open 1 , click 2 https://www.example.org/accord?x=1&y=2" {
		t.Fatalf("timeline: %s", got)
	}

	// The notices about the release (here its recall) are not counted.
	if st := b.api("POST", path+"/recall", `{"reason": "sent too early"}`, nil); st != 202 {
		t.Fatalf("recall: %d", st)
	}
	for to, m := range byRecipient(t, waitMail(t, smtp, 8), 4) {
		if strings.Contains(m.html+m.text, "/t/") {
			t.Fatalf("%s: the recall notice has tracking addresses", to)
		}
	}

	// A release that counts nothing: no addresses, no engagement.
	plain := b.createRelease(releaseJSONIn("not-counted", body, ""))
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", plain), "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	for to, m := range byRecipient(t, waitMail(t, smtp, 12), 8) {
		if strings.Contains(m.html+m.text, "/t/") {
			t.Fatalf("%s: an untracked release's message has tracking addresses", to)
		}
	}
	var raw map[string]json.RawMessage
	b.api("GET", fmt.Sprintf("/api/v1/releases/%d/report", plain), "", &raw)
	if _, ok := raw["engagement"]; ok {
		t.Fatalf("an untracked release's report has engagement: %s", raw["engagement"])
	}
}
