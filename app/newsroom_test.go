package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/app"
)

// In dev, the newsroom has "/" and the capture mailbox stays at
// /dev/mailbox; the API and the public pages are still served beside it.
func TestNewsroomTakesTheRootBesideTheMailbox(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *app.Config) { c.Dev, c.SMTPURL = true, "" })
	get := func(path string) (int, string) {
		t.Helper()
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(b.app.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "Latest releases") || !strings.Contains(body, "Media Office") {
		t.Fatalf("/: %d\n%s", code, body)
	}
	if code, _ := get("/dev/mailbox"); code != 200 {
		t.Fatalf("/dev/mailbox: %d", code)
	}
	for path, want := range map[string]int{"/feeds/en.atom": 200, "/sitemap.xml": 200, "/releases/nothing-here": 404,
		"/subscribe": 200, "/healthz": 200, "/newsroom/newsroom.css": 200} {
		if code, _ := get(path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}

// decodedParts decodes the text and HTML parts of a raw message.
func decodedParts(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		// multipart decodes quoted-printable parts itself.
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
}

// A mission reads an embargoed release through its notice's private
// link; at the lift the link ends, the page becomes public and the
// public messages link to it.
func TestEmbargoedPreviewThenPublicPage(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	seedTopics(t, b)
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(contactsCSV), nil); st != 200 {
		t.Fatalf("import: %d", st)
	}
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	body := strings.Replace(releaseJSON, `"press_contacts"`, `"embargo_until": "`+until+`", "embargo_audience": {"missions": "concerned"}, "press_contacts"`, 1)
	var created struct{ ID int64 }
	if st := b.do("POST", "/api/v1/releases", "application/json", []byte(body), &created); st != 201 {
		t.Fatalf("create: %d", st)
	}
	var pub struct{ Status string }
	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/publish", created.ID), "", nil, &pub); st != 202 || pub.Status != "embargoed" {
		t.Fatalf("publish: %d %q", st, pub.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.smtp.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	notice := b.smtp.Messages()[0]
	link := regexp.MustCompile(`https?://[^\s<>"]+/preview/[A-Za-z0-9_-]+`).FindString(decodedParts(t, notice.Data))
	if notice.To[0] != "mission.mr@example.org" || link == "" {
		t.Fatalf("notice to %v has no preview link", notice.To)
	}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, page := get(link); code != 200 || !strings.Contains(page, "Accord pour un bureau à Nouakchott") {
		t.Fatalf("preview before the lift: %d\n%s", code, page)
	}
	if code, _ := get(b.app.URL() + "/releases/office-agreement"); code != 404 {
		t.Fatalf("public page before the lift: %d", code)
	}

	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/lift", created.ID), "", nil, nil); st >= 300 {
		t.Fatalf("lift: %d", st)
	}
	if code, _ := get(link); code != http.StatusGone {
		t.Fatalf("preview after the lift: %d", code)
	}
	if err := b.smtp.Wait(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, m := range b.smtp.Messages()[1:] {
		page := regexp.MustCompile(`https?://[^\s<>"]+/releases/office-agreement\?lang=[a-z]+`).FindString(decodedParts(t, m.Data))
		if page == "" {
			t.Fatalf("the public message to %v has no link to its page", m.To)
		}
		if code, _ := get(page); code != 200 {
			t.Fatalf("%s: %d", page, code)
		}
	}
}
