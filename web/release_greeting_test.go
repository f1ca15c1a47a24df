package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
)

// A release that asks for a greeting greets each journalist by name in
// their language, and never a mission, which is an institution; one
// that does not ask greets nobody.
func TestGreetingIsTheReleasesChoice(t *testing.T) {
	b := setup(t)
	smtp, pool := b.withMail(mailbox.Options{})
	b.withDispatcher(pool)
	b.importReleaseContacts()
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	id := b.createRelease(releaseJSON("greeted", `, "greeting": true, "embargo_until": "`+until+`"`))
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", id), "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	// The embargoed notice: the mission of Mauritania, Awa (fr), Ana (en).
	got := byRecipient(t, waitMail(t, smtp, 3), 0)
	for to, want := range map[string][2]string{"awa@example.com": {"Bonjour Awa Diop,", "Awa Diop"}, "ana@example.com": {"Dear Ana Silva,", "Ana Silva"}} {
		if !strings.Contains(got[to].text, want[0]) || !strings.Contains(got[to].html, want[1]) {
			t.Errorf("%s is not greeted %q:\n%s\n%s", to, want[0], got[to].text, got[to].html)
		}
	}
	mission := got["mission.mr@example.org"]
	if mission.text == "" {
		t.Fatalf("the mission got nothing: %v", recipients(got))
	}
	for _, greeting := range []string{"Bonjour", "Dear", "Mission of Mauritania,"} {
		if strings.Contains(mission.text, greeting) {
			t.Errorf("the mission is greeted (%q):\n%s", greeting, mission.text)
		}
	}

	plain := b.createRelease(releaseJSON("not-greeted", ""))
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", plain), "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	for to, m := range byRecipient(t, waitMail(t, smtp, 7), 3) {
		if strings.Contains(m.text, "Bonjour") || strings.Contains(m.text, "Dear ") {
			t.Errorf("%s is greeted though the release asked for no greeting:\n%s", to, m.text)
		}
	}
}
