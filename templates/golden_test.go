package templates

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGolden renders every message in every built-in language for the
// sample release and a recipient in a time zone of that language's
// readers. The golden files are the product: review their diffs by eye
// (go test ./templates/ -run Golden -update).
func TestGolden(t *testing.T) {
	for _, lang := range Languages() {
		rc := sampleRecipient(lang)
		for _, msg := range variantNames {
			r := sampleRelease(lang, msg)
			r.Greeting = false // as releases go out unless the press office asks
			p, err := Prepare(msg, r)
			if err != nil {
				t.Fatalf("%s/%s: %v", msg, lang, err)
			}
			text, html := p.Personalize(rc)
			golden(t, msg+"_"+lang+".txt.golden", "Subject: "+p.Subject()+"\n\n"+text)
			golden(t, msg+"_"+lang+".html.golden", html)
		}
		c, err := Confirmation(lang, rc.Name, "https://news.example.org/confirm/tok123")
		if err != nil {
			t.Fatalf("confirmation/%s: %v", lang, err)
		}
		golden(t, "confirmation_"+lang+".txt.golden", "Subject: "+c.Subject+"\n\n"+c.Text)
		golden(t, "confirmation_"+lang+".html.golden", c.HTML)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output; run go test ./templates/ -run Golden -update and review the diff\n--- got ---\n%s", path, got)
	}
}
