package resilience_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// SIGTERM to `communique serve` while a contact import is uploading and a
// press officer watches a release live: /readyz answers 503 at once while
// the listener still takes requests, for the shutdown delay; then the
// listener closes, the live view ends cleanly so its client reconnects
// elsewhere, the import finishes and is answered, and the process exits 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	const delay = 2 * time.Second
	sk := newSink(t)
	dsn := pgtest.URL(t)
	srv := startProcess(t, serveArgs(t, dsn, natstest.Embedded(t),
		fmt.Sprintf("smtp://%s?tls=none&concurrency=2", sk.addr), "-shutdown-delay", delay.String())...)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	id := draftRelease(t, db)

	// A live view, signed in as a user of the press office.
	client := signedIn(t, db, srv.url)
	res, err := client.Get(fmt.Sprintf("%s/office/releases/%d/events", srv.url, id))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("live view: %d %s", res.StatusCode, ct)
	}
	stream := bufio.NewReader(res.Body)
	if line, err := stream.ReadString('\n'); err != nil || line != "event: progress\n" {
		t.Fatalf("live view's first line %q, %v", line, err)
	}
	streamEnded := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stream)
		streamEnded <- err // nil: the stream ended with its last chunk
	}()

	// An import whose body is still on its way.
	body, upload := io.Pipe()
	req, _ := http.NewRequest("POST", srv.url+"/api/v1/contacts/import", body)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "text/csv")
	imported := make(chan *http.Response, 1)
	importErr := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			importErr <- err
			return
		}
		imported <- res
	}()
	fmt.Fprint(upload, "email,name,country\nfirst@example.net,First,FR\n")
	time.Sleep(300 * time.Millisecond) // the handler is reading the body

	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	sigterm := time.Now()
	exited := make(chan time.Duration, 1)
	go func() { exited <- srv.terminate(30 * time.Second) }()

	// Unready at once, while the listener still answers.
	var unready time.Duration
	for {
		res, err := fresh.Get(srv.url + "/readyz")
		if err != nil {
			t.Fatalf("/readyz after SIGTERM: %v (the listener closed before /readyz turned unready)", err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			unready = time.Since(sigterm)
			break
		}
		if time.Since(sigterm) > 3*time.Second { // generous: the machine may be busy
			t.Fatalf("/readyz still %d 3 s after SIGTERM", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Requests that still arrive are served during the delay.
	if res, err := fresh.Get(srv.url + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz during the shutdown delay: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	select {
	case err := <-streamEnded:
		t.Fatalf("the live view ended during the shutdown delay (%v); it should run until the listener closes", err)
	default:
	}

	// Then the listener closes, and the live view ends, cleanly.
	host := strings.TrimPrefix(srv.url, "http://")
	var closed time.Duration
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			closed = time.Since(sigterm)
			break
		}
		c.Close()
		if time.Since(sigterm) > delay+5*time.Second {
			t.Fatal("the listener still accepts connections 5 s after the shutdown delay")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if closed < delay {
		t.Fatalf("the listener closed %v after SIGTERM, before the %v delay", closed, delay)
	}
	select {
	case err := <-streamEnded:
		if err != nil {
			t.Fatalf("the live view ended with %v, want a clean end", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the live view still runs 5 s after the listener closed")
	}

	// The import in flight is finished and answered.
	fmt.Fprint(upload, "second@example.net,Second,MR\n")
	upload.Close()
	select {
	case res := <-imported:
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var got struct{ Created int }
		json.Unmarshal(b, &got)
		if res.StatusCode != http.StatusOK || got.Created != 2 {
			t.Fatalf("import in flight at SIGTERM: %d %s", res.StatusCode, b)
		}
	case err := <-importErr:
		t.Fatalf("import in flight at SIGTERM: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("import in flight at SIGTERM: no answer")
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM contacts WHERE email IN ('first@example.net', 'second@example.net')`); err != nil || n != 2 {
		t.Fatalf("%d imported contacts, %v", n, err)
	}
	took := <-exited
	if errs := srv.errors(); len(errs) > 0 {
		t.Errorf("serve logged errors while shutting down:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("SIGTERM: /readyz 503 after %v, listener closed after %v, exit 0 after %v", unready.Round(time.Millisecond),
		closed.Round(time.Millisecond), took.Round(time.Millisecond))
}

// draftRelease creates a release for a live view to watch.
func draftRelease(t *testing.T, db *sqlx.DB) int64 {
	t.Helper()
	pgtest.Exec(t, db, `INSERT INTO contacts (email, name, kind, country, languages) VALUES
		('press@example.org', 'Press', 'press_officer', 'CH', '{en}') ON CONFLICT DO NOTHING`)
	id, err := releases.Create(context.Background(), db, &releases.Release{
		Slug: fmt.Sprintf("watched-%d", time.Now().UnixNano()), OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Agreement signed", Body: "An office opens."}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// signedIn returns a client signed in to the press office as an admin.
func signedIn(t *testing.T, db *sqlx.DB, base string) *http.Client {
	t.Helper()
	const email, password = "watcher@example.org", "watcher-password-0123"
	if _, err := users.Create(context.Background(), db, users.NewUser{Email: email, Name: "Watcher", Role: users.Admin, Password: password}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/office/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if tok == nil {
		t.Fatalf("sign-in page without a form token:\n%s", page)
	}
	res, err = c.PostForm(base+"/office/signin", url.Values{"csrf": {string(tok[1])}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/office/" {
		t.Fatalf("sign-in: %d at %s", res.StatusCode, res.Request.URL)
	}
	return c
}
