package office

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/communique/communique/users"
)

// BenchmarkSignedInPage measures a signed-in page: the session read and
// written back in PostgreSQL, the user loaded, the page rendered.
func BenchmarkSignedInPage(b *testing.B) {
	bu := setup(b)
	bu.user("amina@example.org", users.PressOfficer, pw)
	br := bu.browser()
	br.signIn("amina@example.org", pw)
	for b.Loop() {
		if res := br.get("/office/"); res.status != http.StatusOK {
			b.Fatalf("home: %d", res.status)
		}
	}
}

// BenchmarkSignIn measures a sign-in (argon2id, the session renewed)
// and the home page it leads to.
func BenchmarkSignIn(b *testing.B) {
	bu := setup(b)
	bu.user("amina@example.org", users.PressOfficer, pw)
	br := bu.browser()
	br.get("/office/signin")
	for b.Loop() {
		if res := br.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}}); res.status != http.StatusSeeOther {
			b.Fatalf("sign in: %d", res.status)
		}
		br.get("/office/")
	}
}
