package office

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/users"
)

func TestWelcomeLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	u, err := users.Create(ctx, b.db, users.NewUser{Email: "new@example.org", Name: "Nouvelle", Role: users.Editor, UILanguage: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := users.IssueLink(ctx, b.db, u.ID, users.SignInLink, 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	link := "/office/welcome/" + tok
	br := b.browser()
	res := br.get(link)
	// The user is known by the link: the page is in their language.
	wantStatus(t, "the welcome page", res, http.StatusOK, `lang="fr"`, "Bienvenue au bureau de presse", "new@example.org", `autocomplete="new-password"`)

	for _, tc := range []struct{ what, pw, again, field, text string }{
		{"too short", "short", "short", "password", "Utilisez au moins 12 caractères."},
		{"not repeated", "long enough password", "long enough passw0rd", "password2", "Les deux mots de passe diffèrent"},
		{"empty", "", "", "password", "Ce champ est obligatoire."},
		{"too long", strings.Repeat("x", 257), strings.Repeat("x", 257), "password", "Utilisez au plus 256 caractères."},
	} {
		res := br.post(link, url.Values{"password": {tc.pw}, "password2": {tc.again}})
		wantStatus(t, tc.what, res, http.StatusUnprocessableEntity, tc.text, `id="`+tc.field+`-error"`, `href="#`+tc.field+`"`)
		if strings.Contains(res.body, `value="`+tc.pw+`"`) && tc.pw != "" {
			t.Errorf("%s: the page shows the password again", tc.what)
		}
	}
	if got, _ := users.Get(ctx, b.db, u.ID); got.HasPass {
		t.Fatal("a refused form set a password")
	}

	res = br.post(link, url.Values{"password": {pw}, "password2": {pw}})
	if res.status != http.StatusSeeOther || res.location != "/office/" {
		t.Fatalf("set the password: %d %q\n%s", res.status, res.location, res.body)
	}
	wantStatus(t, "home after the welcome", br.get("/office/"), http.StatusOK, "Nouvelle", "Éditeur")
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE actor = 'user:new@example.org' AND action = 'user.welcome'`); n != 1 {
		t.Errorf("audit entries for the welcome: %d", n)
	}

	// Used: it says so, both ways, and changes nothing.
	other := b.browser()
	// Nothing tells whose it was any more: the browser's language.
	other.lang = "es"
	wantStatus(t, "the used link", other.get(link), http.StatusNotFound, "Este enlace ya no funciona")
	other.get("/office/signin")
	wantStatus(t, "posting the used link", other.post(link, url.Values{"password": {"another password again"}, "password2": {"another password again"}}),
		http.StatusNotFound)
	other.signIn("new@example.org", pw)

	// Expired.
	late, _ := users.Create(ctx, b.db, users.NewUser{Email: "late@example.org", Role: users.Viewer})
	tok, _ = users.IssueLink(ctx, b.db, late.ID, users.SignInLink, 72*time.Hour)
	b.db.MustExec(`UPDATE user_links SET expires_at = now() - interval '1 second' WHERE user_id = $1`, late.ID)
	res = b.browser().get("/office/welcome/" + tok)
	wantStatus(t, "an expired link", res, http.StatusNotFound, "This link no longer works", "expired or was already used", `href="/office/reset"`)
	wantStatus(t, "a made-up link", b.browser().get("/office/welcome/nonsense"), http.StatusNotFound, "This link no longer works")
}

var resetLink = regexp.MustCompile(`https?://[^\s"<>]+/office/reset/[A-Za-z0-9_-]+`)

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	u := b.user("amina@example.org", users.PressOfficer, pw)
	b.user("gone@example.org", users.Viewer, pw)
	if _, err := users.Disable(ctx, b.db, "gone@example.org"); err != nil {
		t.Fatal(err)
	}
	// A session open elsewhere, which the reset will end.
	elsewhere := b.browser()
	elsewhere.signIn("amina@example.org", pw)

	ask := func(email string) response {
		br := b.browser()
		br.get("/office/reset")
		res := br.post("/office/reset", url.Values{"email": {email}})
		b.settle()
		return res
	}
	// Unknown, disabled and known addresses get the same answer; only the
	// known one gets mail.
	var answers []string
	for _, email := range []string{"nobody@example.org", "gone@example.org", "AMINA@example.org"} {
		res := ask(email)
		wantStatus(t, "asking for "+email, res, http.StatusOK, "If the address is known, a link is on its way.")
		answers = append(answers, csrfField.ReplaceAllString(res.body, ""))
		if email != "AMINA@example.org" && b.mail.Count() != 0 {
			t.Fatalf("a reset for %s sent %d mails", email, b.mail.Count())
		}
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Error("the answers differ by address")
	}
	wantStatus(t, "not an address", b.browser().get("/office/reset"), http.StatusOK)
	br := b.browser()
	br.get("/office/reset")
	wantStatus(t, "not an address", br.post("/office/reset", url.Values{"email": {"not an address"}}),
		http.StatusUnprocessableEntity, "Enter a valid e-mail address.", `aria-invalid="true"`)

	msgs := b.mail.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "amina@example.org" {
		t.Fatalf("mails: %+v", msgs)
	}
	text := plainText(t, msgs[0].Data)
	link := resetLink.FindString(text)
	if !strings.HasPrefix(link, b.url+"/office/reset/") || !strings.Contains(text, "within one hour") {
		t.Fatalf("reset mail without its link:\n%s", text)
	}
	if msgs[0].Subject != "Choose a new password for the press office" {
		t.Errorf("subject %q", msgs[0].Subject)
	}
	var ttl time.Duration
	var seconds float64
	if err := b.db.Get(&seconds, `SELECT extract(epoch FROM expires_at - created_at) FROM user_links WHERE user_id = $1 AND purpose = 'reset'`, u.ID); err != nil {
		t.Fatal(err)
	}
	if ttl = time.Duration(seconds * float64(time.Second)); ttl != time.Hour {
		t.Errorf("the reset link lasts %v", ttl)
	}

	path := strings.TrimPrefix(link, b.url)
	br = b.browser()
	wantStatus(t, "the reset page", br.get(path), http.StatusOK, "Choose a new password", "amina@example.org")
	const newPW = "a brand new horse staple"
	res := br.post(path, url.Values{"password": {newPW}, "password2": {newPW}})
	if res.status != http.StatusSeeOther || res.location != "/office/" {
		t.Fatalf("reset: %d %q\n%s", res.status, res.location, res.body)
	}
	wantStatus(t, "home after the reset", br.get("/office/"), http.StatusOK, "Name of amina@example.org")
	wantSignIn(t, "the session open elsewhere", elsewhere.get("/office/"))
	wantStatus(t, "the link again", b.browser().get(path), http.StatusNotFound, "This link no longer works")
	other := b.browser()
	other.get("/office/signin")
	wantStatus(t, "the old password", other.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}}), http.StatusUnauthorized)
	other.signIn("amina@example.org", newPW)

	// Expired after its hour.
	ask("amina@example.org")
	link = resetLink.FindString(plainText(t, b.mail.Messages()[1].Data))
	b.db.MustExec(`UPDATE user_links SET expires_at = now() - interval '1 second' WHERE user_id = $1`, u.ID)
	wantStatus(t, "an expired reset link", b.browser().get(strings.TrimPrefix(link, b.url)), http.StatusNotFound, "Ask for a new link")

	// Asking is open to anyone: an address gets a few mails an hour, no more.
	for i := 0; i < 3; i++ {
		ask("amina@example.org")
	}
	if n := b.mail.Count(); n != resetMailsPerHour {
		t.Errorf("%d reset mails within the hour, want %d", n, resetMailsPerHour)
	}
}

func TestResetMailInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	u, err := users.Create(ctx, b.db, users.NewUser{Email: "layla@example.org", Name: "Layla", Role: users.Viewer, UILanguage: "ar", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.h.mailResetLink(ctx, "layla@example.org", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	b.settle()
	var row struct {
		Kind   string `db:"kind"`
		UserID int64  `db:"user_id"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := b.db.Get(&row, `SELECT kind, user_id, status, (SELECT count(*) FROM messages) AS n FROM messages`); err != nil ||
		row != (struct {
			Kind   string `db:"kind"`
			UserID int64  `db:"user_id"`
			Status string `db:"status"`
			N      int    `db:"n"`
		}{"reset", u.ID, "sent", 1}) {
		t.Fatalf("queued reset: %+v %v", row, err)
	}
	m := b.mail.Messages()[0]
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Content-Language") != "ar" || !strings.Contains(part(t, m.Data, "text/html"), `<html lang="ar" dir="rtl">`) ||
		m.Subject != "اختر كلمة مرور جديدة للمكتب الإعلامي" || !strings.Contains(plainText(t, m.Data), "مرحبًا Layla،") {
		t.Errorf("Arabic reset mail:\n%s", m.Data)
	}
}

// plainText returns the decoded text/plain part of a raw message.
func plainText(t *testing.T, raw []byte) string {
	t.Helper()
	return part(t, raw, "text/plain")
}

// part returns the decoded part of a raw message with the media type.
func part(t *testing.T, raw []byte, want string) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	s, err := findPart(want, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil || s == "" {
		t.Fatalf("no %s part (%v):\n%s", want, err, raw)
	}
	return s
}

func findPart(want, contentType, encoding string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return "", err
			}
			if s, err := findPart(want, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err == nil && s != "" {
				return s, nil
			}
		}
	}
	if mt != want {
		return "", nil
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}
