package app_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Through the whole service: a photo uploaded by the API to an
// embargoed release is served by the newsroom from the lift, not
// before, and the public message links it.
func TestMediaThroughTheService(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(embargoCSV), nil); st != 200 {
		t.Fatalf("import: %d", st)
	}
	// Whole seconds: the release body gives the lift to the second.
	until := time.Now().Add(4 * time.Second).Truncate(time.Second)
	id := b.create(embargoedRelease("photo-at-the-lift", until))

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("caption.en", "The signing")
	fw, _ := mw.CreateFormFile("file", "agreement.pdf")
	io.WriteString(fw, "%PDF-1.4\n%%EOF\n")
	mw.Close()
	var m struct {
		URLs map[string]string `json:"urls"`
	}
	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/media", id), mw.FormDataContentType(), body.Bytes(), &m); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	file := m.URLs["original"]
	if !strings.HasPrefix(file, b.app.URL()+"/media/") {
		t.Fatalf("file address %q", file)
	}
	if st, _ := b.change(id, "publish", `{"allow_empty": true}`); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	get := func() (int, string) {
		resp, err := http.Get(file)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	// An answer received before the lift was served before it; one that
	// comes later, on a loaded machine, may have been served after.
	for time.Now().Before(until) {
		st, data := get()
		if received := time.Now(); (st != 404 || strings.Contains(data, "%PDF")) && received.Before(until) {
			t.Fatalf("%d at %s, before the lift at %s", st, received.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
		}
		time.Sleep(200 * time.Millisecond)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, data := get()
		if st == 200 {
			if data != "%PDF-1.4\n%%EOF\n" {
				t.Errorf("served %q", data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the lift: %d", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The public version, sent at the lift, links the file.
	deadline = time.Now().Add(20 * time.Second)
	for {
		found := false
		for _, msg := range b.smtp.Messages() {
			if msg.To[0] == "unverified@example.com" && strings.Contains(decodedParts(t, msg.Data), file) {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the public message does not link the file")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
