package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/communique/communique/logtest"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
)

// waitBanner waits until what `communique dev` printed to stdout matches
// re and returns the match; dev exiting first, or a minute passing, fails
// the test.
func waitBanner(t *testing.T, stdout *logtest.Buffer, done <-chan error, re *regexp.Regexp) []string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("dev exited: %v\n%s", err, stdout.String())
		default:
		}
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing in the banner matches %s:\n%s", re, stdout.String())
		}
	}
}

// TestDev runs `communique dev` as a user would, publishes the demo release
// with the command the banner prints, and watches the capture mailbox fill.
func TestDev(t *testing.T) {
	dbURL, m, stop := runDev(t, regexp.MustCompile(`curl -s -X POST -H 'Authorization: Bearer (\S+)' (\S+)/publish`))
	ctx := context.Background()
	token, publishURL := m[1], m[2]+"/publish"
	base := publishURL[:strings.Index(publishURL, "/api/")]

	start := time.Now()
	req, _ := http.NewRequest("POST", publishURL, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("publish demo release: %d", resp.StatusCode)
	}

	// The demo audience: journalists following Western Africa, Africa,
	// Sub-Saharan Africa, Mauritania or migration governance, and the
	// mission of Mauritania (it follows its own country).
	var want int
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var msgs []struct {
			To      []string `json:"to"`
			Subject string   `json:"subject"`
		}
		r, err := http.Get(base + "/dev/mailbox.json")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&msgs)
		r.Body.Close()
		rep := report(t, m[2]+"/report", token)
		want = rep.Total
		if want > 0 && len(msgs) == want && rep.ByStatus["sent"] == want {
			t.Logf("demo release: %d recipients, publish to last message %v", want, time.Since(start))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailbox has %d messages, report %+v", len(msgs), rep)
		}
	}
	if want < 20 {
		t.Fatalf("demo release reached only %d recipients", want)
	}
	// releases watch follows the release until it is done.
	id := publishURL[strings.Index(publishURL, "/releases/")+len("/releases/") : strings.LastIndex(publishURL, "/")]
	var watched bytes.Buffer
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	if err := run(wctx, []string{"releases", "watch", "-database-url", dbURL, id}, &watched, io.Discard); err != nil {
		t.Fatalf("releases watch: %v", err)
	}
	wcancel()
	if !regexp.MustCompile(`\] (\d+)/(\d+)  sent (\d+)\n$`).MatchString(watched.String()) {
		t.Fatalf("releases watch printed %q", watched.String())
	}

	// The mailbox page renders.
	r, err := http.Get(base + "/dev/mailbox")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("mailbox page: %v %v", err, r)
	}
	r.Body.Close()

	if err := stop(); err != nil {
		t.Fatalf("dev after SIGTERM: %v", err)
	}
}

type reportBody struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

func report(t *testing.T, url, token string) reportBody {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep reportBody
	json.NewDecoder(resp.Body).Decode(&rep)
	return rep
}

func TestCommandErrors(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"migrate", "-database-url", dbURL}, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !strings.Contains(out.String(), "schema version") {
		t.Fatalf("migrate said %q", out.String())
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\nx@example.org,X,journalist,O,ZZ,en,UTC,false,,,,,\n"), 0o600)
	err := run(ctx, []string{"contacts", "import", "-database-url", dbURL, bad}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad import: %v", err)
	}
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte(`{"slug": "x", "original_language": "en", "translations": {"en": {"title": ""}}}`), 0o600)
	err = run(ctx, []string{"releases", "create", "-database-url", dbURL, badJSON}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "translations.en.title") {
		t.Fatalf("bad release: %v", err)
	}
	for _, args := range [][]string{{"nope"}, {"releases", "publish", "-database-url", dbURL, "abc"}, {"releases", "status", "-database-url", dbURL, "999"}} {
		if err := run(ctx, args, &out, &errOut); err == nil {
			t.Errorf("%v: no error", args)
		} else {
			fmt.Fprintln(io.Discard, err)
		}
	}
}

// The scripted path: import contacts, create and publish a release under
// embargo, and preview its embargoed notice as an .eml.
func TestScriptedReleaseAndPreview(t *testing.T) {
	// These scripts publish what they wrote, with no second person to clear it.
	t.Setenv("COMMUNIQUE_CLEARANCE", "off")
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	do := func(args ...string) string {
		t.Helper()
		out.Reset()
		if err := run(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return strings.TrimSpace(out.String())
	}
	do("migrate", "-database-url", dbURL)
	csvFile := filepath.Join(dir, "contacts.csv")
	os.WriteFile(csvFile, []byte("email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n"+
		"press@example.org,Nora Belkacem,press_officer,Media Office,CH,fr,Europe/Zurich,true,,,,+41 22 555 0101,Press Officer\n"+
		"mission.mr@example.org,Permanent Mission of Mauritania,mission,Mission,MR,fr,Africa/Nouakchott,false,,,,,\n"), 0o600)
	if got := do("contacts", "import", "-database-url", dbURL, csvFile); !strings.Contains(got, "created 2") {
		t.Fatalf("import said %q", got)
	}
	relFile := filepath.Join(dir, "release.json")
	os.WriteFile(relFile, []byte(`{"slug": "cli-release", "original_language": "fr",
		"translations": {"fr": {"title": "Accord signé", "body": "Le bureau ouvre.", "dateline": "Genève"}},
		"countries": ["MR"], "embargo_until": "2099-01-01T09:00:00Z", "embargo_audience": {"missions": "concerned"},
		"press_contacts": ["press@example.org"]}`), 0o600)
	id := do("releases", "create", "-database-url", dbURL, relFile)
	if got := do("releases", "publish", "-database-url", dbURL, id); got != "embargoed" {
		t.Fatalf("publish said %q", got)
	}
	eml := filepath.Join(dir, "notice.eml")
	do("templates", "preview", "-database-url", dbURL, "-release", id, "-lang", "fr", "-message", "embargoed", "-tz", "Europe/Paris", "-o", eml)
	f, err := os.Open(eml)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("preview is not a message: %v", err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.HasPrefix(subject, "SOUS EMBARGO JUSQU") || !strings.Contains(subject, "Accord signé") {
		t.Fatalf("preview subject %q", subject)
	}
	if got := do("releases", "postpone", "-database-url", dbURL, id, "2099-01-02T09:00:00Z"); got != "embargoed" {
		t.Fatalf("postpone said %q", got)
	}
	if got := do("releases", "recall", "-database-url", dbURL, id); got != "recalled" {
		t.Fatalf("recall said %q", got)
	}
	if err := run(ctx, []string{"releases", "lift", "-database-url", dbURL, id}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "recalled") {
		t.Fatalf("lift after recall: %v", err)
	}
}

// startDev runs `communique dev` on a database of its own until the test
// ends and returns its database URL once it serves.
func startDev(t *testing.T) string {
	t.Helper()
	dbURL, _, _ := runDev(t, regexp.MustCompile(`/publish`))
	return dbURL
}

// runDev runs `communique dev` until the test ends or stop is called, and
// returns its database URL and the match of banner once it serves. stop
// returns what dev returned.
func runDev(t *testing.T, banner *regexp.Regexp, args ...string) (dbURL string, m []string, stop func() error) {
	t.Helper()
	dbURL = pgtest.URL(t)
	// Made before the shutdown below is registered, so it is removed only
	// after dev, and the NATS server it embeds, have stopped writing to it.
	dataDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout logtest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"dev", "-database-url", dbURL, "-data-dir", dataDir, "-http-addr", "127.0.0.1:0", "-log-level", "warn"}, args...), &stdout, io.Discard)
	}()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			return errors.New("dev did not shut down within 20s")
		}
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return dbURL, waitBanner(t, &stdout, done, banner), stop
}

// releases watch follows an embargoed release through its lift: the
// notice going out, the countdown, then the public version, and returns
// only once both are sent.
func TestWatchFollowsAnEmbargoThroughItsLift(t *testing.T) {
	// These scripts publish what they wrote, with no second person to clear it.
	t.Setenv("COMMUNIQUE_CLEARANCE", "off")
	dbURL := startDev(t)
	ctx := context.Background()
	relFile := filepath.Join(t.TempDir(), "release.json")
	until := time.Now().Add(6 * time.Second).Truncate(time.Second)
	os.WriteFile(relFile, []byte(fmt.Sprintf(`{"slug": "watched-embargo", "original_language": "fr",
		"translations": {"fr": {"title": "Accord signé", "body": "Le bureau ouvre."}},
		"countries": ["MR"], "embargo_until": %q, "embargo_audience": {"missions": "concerned"},
		"press_contacts": ["press.officer@example.org"]}`, until.UTC().Format(time.RFC3339))), 0o600)
	var out bytes.Buffer
	if err := run(ctx, []string{"releases", "create", "-database-url", dbURL, relFile}, &out, io.Discard); err != nil {
		t.Fatalf("create: %v", err)
	}
	id := strings.TrimSpace(out.String())
	out.Reset()
	if err := run(ctx, []string{"releases", "publish", "-database-url", dbURL, id}, &out, io.Discard); err != nil || strings.TrimSpace(out.String()) != "embargoed" {
		t.Fatalf("publish: %v %q", err, out.String())
	}
	var watched bytes.Buffer
	wctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if err := run(wctx, []string{"releases", "watch", "-database-url", dbURL, id}, &watched, io.Discard); err != nil {
		t.Fatalf("releases watch: %v", err)
	}
	if wctx.Err() != nil {
		t.Fatalf("releases watch did not end by itself:\n%s", watched.String())
	}
	if time.Now().Before(until) {
		t.Fatalf("releases watch ended before the lift:\n%s", watched.String())
	}
	lines := strings.Split(strings.TrimSuffix(watched.String(), "\n"), "\n")
	first := func(re string) int {
		for i, l := range lines {
			if regexp.MustCompile(re).MatchString(l) {
				return i
			}
		}
		t.Fatalf("no line matches %s in:\n%s", re, watched.String())
		return -1
	}
	notice := first(`^embargoed notice +\[#+\] 1/1  sent 1$`)
	countdown := first(`^embargo +lifts ` + regexp.QuoteMeta(until.UTC().Format(time.RFC3339)) + `, in \d+s$`)
	lifted := first(`^embargo +lifted ` + regexp.QuoteMeta(until.UTC().Format(time.RFC3339)) + `$`)
	public := first(`^public version +\[`)
	if !(notice < lifted && countdown < lifted && lifted < public) {
		t.Fatalf("the lines are out of order:\n%s", watched.String())
	}
	countdowns := map[string]bool{}
	for _, l := range lines {
		if strings.HasPrefix(l, "embargo ") {
			countdowns[l] = true
		}
	}
	if len(countdowns) < 2 {
		t.Fatalf("the countdown did not count down:\n%s", watched.String())
	}
	m := regexp.MustCompile(`^public version +\[#+\] (\d+)/(\d+)  sent (\d+)$`).FindStringSubmatch(lines[len(lines)-1])
	if m == nil || m[1] != m[2] || m[2] != m[3] || m[1] == "0" {
		t.Fatalf("the last line is not the public version, all sent:\n%s", watched.String())
	}
	t.Logf("releases watch printed:\n%s", watched.String())
}

// The scripted drafts: create, list, delete, publish, correct by merging,
// recall with a reason; and the refusals, each naming its field.
func TestScriptedDraftsListCorrectAndRecall(t *testing.T) {
	// These scripts publish what they wrote, with no second person to clear it.
	t.Setenv("COMMUNIQUE_CLEARANCE", "off")
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	do := func(args ...string) (string, error) {
		t.Helper()
		out.Reset()
		err := run(ctx, append([]string{args[0], args[1], "-database-url", dbURL}, args[2:]...), &out, &errOut)
		return strings.TrimSpace(out.String()), err
	}
	must := func(args ...string) string {
		t.Helper()
		s, err := do(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return s
	}
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	if err := run(ctx, []string{"migrate", "-database-url", dbURL}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	must("contacts", "import", file("c.csv", "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n"+
		"press@example.org,Nora Belkacem,press_officer,Media Office,CH,fr,Europe/Zurich,true,,,,,\n"+
		"lecteur@example.org,Awa Diop,journalist,Sahel Daily,SN,fr,Africa/Dakar,false,,MR,,,\n"))
	release := func(slug, extra string) string {
		return file(slug+".json", `{"slug": "`+slug+`", "original_language": "fr",
			"translations": {"fr": {"title": "Accord signé", "summary": "Un résumé.", "body": "Le bureau ouvre.", "dateline": "Genève"},
			                 "en": {"title": "Agreement signed", "summary": "A summary.", "body": "The office opens.", "dateline": "Geneva"}},
			"countries": ["MR"], "press_contacts": ["press@example.org"]`+extra+`}`)
	}
	if _, err := do("releases", "create", release("late", `, "embargo_until": "2020-01-01T09:00:00Z"`)); err == nil ||
		!strings.Contains(err.Error(), "embargo_until: is in the past (2020-01-01T09:00:00Z)") {
		t.Fatalf("create with a past embargo: %v", err)
	}
	first := must("releases", "create", release("first", ""))
	second := must("releases", "create", release("second", ""))
	list := must("releases", "list")
	if !regexp.MustCompile(`(?s)^ID +STATUS.*\n` + second + ` +draft +second +fr,en .*\n` + first + ` +draft +first +fr,en .* 0/0 +Accord signé$`).MatchString(list) {
		t.Fatalf("releases list:\n%s", list)
	}
	if got := must("releases", "list", "-limit", "1"); !strings.HasSuffix(got, "more: releases list -after "+second) || strings.Contains(got, "first") {
		t.Fatalf("releases list -limit 1:\n%s", got)
	}
	if _, err := do("releases", "list", "-limit", "5000"); err == nil || !strings.Contains(err.Error(), "limit: 5000 is above the maximum") {
		t.Fatalf("list -limit 5000: %v", err)
	}
	if got := must("releases", "delete", second); got != "deleted" {
		t.Fatalf("delete said %q", got)
	}
	if got := must("releases", "publish", first); got != "published" {
		t.Fatalf("publish said %q", got)
	}
	if _, err := do("releases", "delete", first); err == nil || !strings.Contains(err.Error(), "only a draft can be deleted") {
		t.Fatalf("delete a published release: %v", err)
	}
	if got := must("releases", "list", "-status", "published"); strings.Contains(got, "second") || !strings.Contains(got, "first") {
		t.Fatalf("releases list -status published:\n%s", got)
	}
	// The correction names only what changes; the rest stays.
	must("releases", "correct", first, file("fix.json", `{"translations": {"fr": {"body": "Le bureau ouvre lundi.", "note": "Le jour manquait."}}}`))
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, _ := strconv.ParseInt(first, 10, 64)
	rel, err := releases.Get(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	if fr := rel.Translations["fr"]; fr != (releases.Translation{Title: "Accord signé", Summary: "Un résumé.", Body: "Le bureau ouvre lundi.", Dateline: "Genève"}) ||
		rel.Translations["en"].Summary != "A summary." {
		t.Fatalf("after the correction: %+v", rel.Translations)
	}
	if got := must("releases", "recall", "-reason", "Signature reportée.", first); got != "recalled" {
		t.Fatalf("recall said %q", got)
	}
	var reason string
	db.Get(&reason, `SELECT reason FROM dispatches WHERE release_id = $1 AND variant = 'recall'`, id)
	if reason != "Signature reportée." {
		t.Fatalf("the recall's reason is %q", reason)
	}
}
