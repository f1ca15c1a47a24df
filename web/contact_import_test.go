package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// csvHeader names the 13 columns of every version of the contacts file.
const csvHeader = "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n"

// upload is an import whose body the test writes bit by bit.
type upload struct {
	pw     *io.PipeWriter
	status int
	header http.Header
	body   []byte
	err    error
	done   chan struct{}
}

// startUpload posts an import whose body is written through the returned
// upload's pipe.
func startUpload(t *testing.T, url string) *upload {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", url+"/api/v1/contacts/import", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	u := &upload{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(u.done)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			u.err = err
			pr.CloseWithError(err)
			return
		}
		defer resp.Body.Close()
		u.status, u.header = resp.StatusCode, resp.Header
		u.body, u.err = io.ReadAll(resp.Body)
		pr.Close() // a refused upload's writer stops
	}()
	return u
}

// timed sends an authenticated request and fails t unless the answer
// is want within limit.
func timed(t *testing.T, url, method, path, body string, want int, limit time.Duration) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	start := time.Now()
	resp, err := (&http.Client{Timeout: 3 * limit}).Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return
	}
	resp.Body.Close()
	if d := time.Since(start); d > limit || resp.StatusCode != want {
		t.Errorf("%s %s: %d after %s", method, path, resp.StatusCode, d)
	}
}

// Uploads that dribble their bytes hold no database connection: the
// service stays ready and answers while they last, imports beyond the
// allowed two are refused at once with 429 and Retry-After, and the
// uploads that were let in import everything once they end.
func TestSlowImportsDoNotStarveTheDatabase(t *testing.T) {
	b := setup(t)
	b.h.Ready = func(ctx context.Context) error { return b.db.PingContext(ctx) }
	const n = 22 // more than the pool's 20 connections
	uploads := make([]*upload, n)
	stop := make(chan struct{})
	var writers sync.WaitGroup
	rows := make([]int, n)
	for i := range uploads {
		u := startUpload(t, b.srv.URL)
		uploads[i] = u
		writers.Add(1)
		go func() {
			defer writers.Done()
			defer u.pw.Close()
			if _, err := io.WriteString(u.pw, csvHeader); err != nil {
				return
			}
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := fmt.Fprintf(u.pw, "u%d-%d@example.org,Upload %d,,,,,,,,,,,\n", i, k, i); err != nil {
					return
				}
				rows[i]++
			}
		}()
	}
	time.Sleep(time.Second) // every upload has started, some have sent rows
	timed(t, b.srv.URL, "GET", "/readyz", "", http.StatusOK, time.Second)
	timed(t, b.srv.URL, "GET", "/api/v1/contacts?limit=5", "", http.StatusOK, time.Second)
	timed(t, b.srv.URL, "POST", "/api/v1/contacts", `{"email": "during@example.org"}`, http.StatusCreated, time.Second)
	refused := 0
	for _, u := range uploads {
		select {
		case <-u.done:
			var e errorAnswer
			json.Unmarshal(u.body, &e)
			if u.status != http.StatusTooManyRequests || u.header.Get("Retry-After") != "10" ||
				e.Error != "too many contact imports are running" {
				t.Errorf("refused upload: %d %q %s (%v)", u.status, u.header.Get("Retry-After"), u.body, u.err)
			}
			refused++
		default:
		}
	}
	if refused != n-2 {
		t.Errorf("%d uploads refused, want %d", refused, n-2)
	}
	close(stop)
	writers.Wait()
	created := 0
	for i, u := range uploads {
		<-u.done
		if u.status != http.StatusOK {
			continue
		}
		var res struct{ Created int }
		if err := json.Unmarshal(u.body, &res); err != nil || res.Created != rows[i] || rows[i] == 0 {
			t.Errorf("upload %d: %s, %d rows sent (%v)", i, u.body, rows[i], err)
		}
		created += res.Created
	}
	var stored int
	if err := b.db.Get(&stored, `SELECT count(*) FROM contacts WHERE email LIKE 'u%'`); err != nil || stored != created || created == 0 {
		t.Errorf("%d contacts stored, %d created (%v)", stored, created, err)
	}
}

// An upload that stops sending is given up after ImportLimits.Idle, and
// its slot is free again.
func TestStalledImportIsAbandoned(t *testing.T) {
	b := setup(t)
	h := &Handler{DB: b.db, Logger: slog.New(slog.DiscardHandler), AdminToken: testToken,
		Imports: ImportLimits{Concurrent: 1, Idle: 300 * time.Millisecond}}
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(srv.Close)
	u := startUpload(t, srv.URL)
	io.WriteString(u.pw, "email\nstalled@example.org\n")
	start := time.Now()
	select {
	case <-u.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled upload was not abandoned")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("abandoned after %s, before the idle limit", d)
	}
	if u.err == nil && (u.status != http.StatusUnprocessableEntity || !strings.Contains(string(u.body), "nothing received for 300ms")) {
		t.Errorf("stalled upload: %d %s", u.status, u.body)
	}
	u.pw.Close()
	next := startUpload(t, srv.URL)
	io.WriteString(next.pw, "email\nnext@example.org\n")
	next.pw.Close()
	<-next.done
	if next.status != http.StatusOK || !strings.Contains(string(next.body), `"created": 1`) {
		t.Errorf("next upload: %d %s %v", next.status, next.body, next.err)
	}
}

// A file of bad rows gets a report of bounded size: the first 1,000 rows
// in full, then counts.
func TestImportOfBadRowsAnswersBriefly(t *testing.T) {
	b := setup(t)
	var file strings.Builder
	file.WriteString(csvHeader)
	for i := 0; file.Len() < 4<<20; i++ {
		if i%5 == 0 {
			fmt.Fprintf(&file, "c%d@example.org,Name %d,,,XX,,,,,,,,\n", i, i)
		} else {
			fmt.Fprintf(&file, "not an address %d,Name %d,,,FR,,,,,,,,\n", i, i)
		}
	}
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/contacts/import", strings.NewReader(file.String()))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	t.Logf("a %d-byte file of bad rows: %d bytes of answer", file.Len(), len(body))
	var e errorAnswer
	json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusUnprocessableEntity || len(body) > 256<<10 || len(e.Details) != 1001 {
		t.Fatalf("%d, %d bytes, %d details", resp.StatusCode, len(body), len(e.Details))
	}
	if last := e.Details[1000]; !strings.HasPrefix(last, "and ") || !strings.Contains(last, " more rows refused: ") ||
		!strings.Contains(last, " bad address, ") || !strings.HasSuffix(last, " bad country") {
		t.Errorf("summary %q", last)
	}
	if e.Details[0] != `line 2: country "XX" is not an ISO 3166-1 alpha-2 code` || e.Details[1] != `line 3: email "not an address 1" is not a valid address` {
		t.Errorf("first details %q", e.Details[:2])
	}
}
