package main

import (
	"bytes"
	"context"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/communique/communique/postgres/pgtest"
)

// `templates preview -kind` addresses the message as the dispatcher would
// that kind of recipient: a mission without an unsubscribe link.
func TestTemplatesPreviewKinds(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	do := func(args ...string) (string, error) {
		out.Reset()
		err := run(ctx, args, &out, &errOut)
		return strings.TrimSpace(out.String()), err
	}
	must := func(args ...string) string {
		t.Helper()
		s, err := do(args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return s
	}
	must("migrate", "-database-url", dbURL)
	csvFile := filepath.Join(dir, "contacts.csv")
	os.WriteFile(csvFile, []byte("email,name,kind,organisation,country\npress@example.org,Nora Belkacem,press_officer,Media Office,CH\n"), 0o600)
	must("contacts", "import", "-database-url", dbURL, csvFile)
	relFile := filepath.Join(dir, "release.json")
	os.WriteFile(relFile, []byte(`{"slug": "kinds", "original_language": "en",
		"translations": {"en": {"title": "Office opens", "body": "The office opens.", "dateline": "Geneva"}},
		"countries": ["MR"], "press_contacts": ["press@example.org"]}`), 0o600)
	id := must("releases", "create", "-database-url", dbURL, relFile)

	read := func(kind, to string) (*mail.Message, string) {
		t.Helper()
		eml := filepath.Join(dir, kind+".eml")
		must("templates", "preview", "-database-url", dbURL, "-release", id, "-kind", kind, "-to", to, "-o", eml)
		f, err := os.Open(eml)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		msg, err := mail.ReadMessage(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(msg.Body)
		return msg, string(b)
	}
	msg, _ := read("journalist", "Ana Silva <ana@example.com>")
	if msg.Header.Get("List-Unsubscribe") == "" {
		t.Error("a journalist's preview has no List-Unsubscribe")
	}
	msg, body := read("mission", "Permanent Mission of Mauritania <mission.mr@example.org>")
	if msg.Header.Get("List-Unsubscribe") != "" || strings.Contains(body, "unsubscribe/preview") {
		t.Errorf("a mission's preview offers to unsubscribe:\n%v", msg.Header)
	}
	if _, err := do("templates", "preview", "-database-url", dbURL, "-release", id, "-kind", "ambassador"); err == nil || !strings.Contains(err.Error(), "-kind") {
		t.Errorf("-kind ambassador: %v", err)
	}
}
