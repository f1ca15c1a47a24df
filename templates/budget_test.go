package templates

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique"
)

// defineChain is n defines, each calling the previous twice: 2^n calls
// of the first, from about 65 bytes a define.
func defineChain(n int) string {
	var b strings.Builder
	b.WriteString(`{{define "d0"}}{{.Title}}{{end}}`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{{define "d%d"}}{{template "d%d" .}}{{template "d%d" .}}{{end}}`, i, i-1, i-1)
	}
	fmt.Fprintf(&b, `{{template "d%d" .}}`, n)
	return b.String()
}

// nestedRanges ranges over the press contacts n times, one inside the
// other: contacts^n iterations.
func nestedRanges(n int, body string) string {
	return strings.Repeat("{{range $.Contacts}}", n) + body + strings.Repeat("{{end}}", n)
}

// manyContacts returns the sample release with n press contacts.
func manyContacts(lang, variant string, n int) Release {
	r := sampleRelease(lang, variant)
	r.PressContacts = nil
	for i := range n {
		r.PressContacts = append(r.PressContacts, PressContact{
			Name: fmt.Sprintf("Officer %d", i), Title: "Press officer", Organisation: "IMA",
			Phone: "+41 22 000 00 00", Email: fmt.Sprintf("officer%d@example.org", i),
		})
	}
	return r
}

// checkRefused asserts that CheckOverride refuses src within a second with
// an EINVALID error whose details include want.
func checkRefused(t *testing.T, message string, src Source, want string) {
	t.Helper()
	start := time.Now()
	err := CheckOverride(context.Background(), message, "en", src)
	took := time.Since(start)
	var e *communique.Error
	if !errors.As(err, &e) || e.Code != communique.EINVALID {
		t.Fatalf("err = %v (after %v), want EINVALID", err, took)
	}
	if !strings.Contains(strings.Join(e.Details, "\n"), want) {
		t.Errorf("details %q lack %q", e.Details, want)
	}
	if took > time.Second {
		t.Errorf("refused after %v, want under a second", took)
	}
	t.Logf("refused in %v: %s", took, want)
}

// The two templates that once took 17.7 s per save and 19.75 s per render
// are refused at once, by the static check, before anything runs.
func TestOverrideAttacksRefusedAtOnce(t *testing.T) {
	html := builtinSource(t, VariantPublic).HTML
	chain := defineChain(20)
	if len(chain) > 1500 {
		t.Fatalf("the chain is %d bytes; the attack was 1.4 KB", len(chain))
	}
	checkRefused(t, VariantPublic, Source{"{{.Title}}", chain, html},
		"text: line 1: template calls nest 22 deep (text → d20 → d19 → … → d1 → d0); at most 10")
	checkRefused(t, VariantPublic, Source{"{{.Title}}", "x", nestedRanges(5, "{{.Name}}")},
		"html: line 1: ranges nest 5 deep; at most 2")
	// Through template calls too.
	checkRefused(t, VariantPublic, Source{"{{.Title}}",
		`{{define "r"}}{{range $.Contacts}}{{range $.Contacts}}x{{end}}{{end}}{{end}}{{range .Contacts}}{{template "r" $}}{{end}}`, html},
		"text: line 1: ranges nest 3 deep; at most 2")
	// Shallow but wide: 8 levels calling the one below 5 times is 390,625 calls.
	var wide strings.Builder
	wide.WriteString(`{{define "w0"}}x{{end}}`)
	for i := 1; i <= 7; i++ {
		fmt.Fprintf(&wide, `{{define "w%d"}}%s{{end}}`, i, strings.Repeat(fmt.Sprintf(`{{template "w%d" .}}`, i-1), 5))
	}
	wide.WriteString(`{{template "w7" .}}`)
	checkRefused(t, VariantPublic, Source{wide.String(), "x", html},
		"subject: would take more than 100000 steps with 50 press contacts")
}

// Functions cannot build strings of unbounded size from variables: what
// they return counts before it is built.
func TestOverrideFunctionResultsBounded(t *testing.T) {
	html := builtinSource(t, VariantPublic).HTML
	// Each underline repeats its second argument as wide as the first:
	// three lines would ask for half a gigabyte.
	bomb := `{{$x := underline .BodyText .BodyText}}{{$y := underline $x $x}}{{$z := underline $y $y}}{{len $z}}`
	checkRefused(t, VariantPublic, Source{"{{.Title}}", bomb, html}, "text: function results exceed 262144 bytes besides the release body")
	var join strings.Builder
	join.WriteString(`{{$a0 := joinWith .Summary .Summary .Summary}}`)
	for i := 1; i < 20; i++ {
		fmt.Fprintf(&join, `{{$a%d := joinWith $a%d $a%d $a%d}}`, i, i-1, i-1, i-1)
	}
	join.WriteString(`{{len $a19}}`)
	checkRefused(t, VariantPublic, Source{"{{.Title}}", "x", join.String()}, "html: function results exceed 262144 bytes besides the release body")
}

func TestOverrideOutputBounded(t *testing.T) {
	html := builtinSource(t, VariantPublic).HTML
	checkRefused(t, VariantPublic, Source{"{{.Title}}", strings.Repeat("{{.BodyText}}", 400), html},
		"text: output exceeds 262144 bytes besides the release body")
	// The body once is no problem, however large the release.
	ov := overridesOf(t, storedOverride{Message: VariantPublic, Language: "en", Source: Source{"{{.Title}}", "{{.BodyText}}", "<div>{{.BodyHTML}}</div>"}})
	r := release("en")
	r.Body = strings.Repeat("A paragraph of a long release, with words.\n\n", 8000) // 360 KB
	p, err := PrepareWith(ov, VariantPublic, r)
	if err != nil || p.OverrideError() != nil {
		t.Fatal(err, p.OverrideError())
	}
}

// overridesWithLimits are overrides rendering under lim instead of
// overrideLimits, so a test can pass one bound without passing another.
func overridesWithLimits(t *testing.T, lim limits, rows ...storedOverride) Overrides {
	ov := overridesOf(t, rows...)
	ov.lim = &lim
	return ov
}

// A template that passes the check on the sample (two press contacts) but
// meets a release with hundreds is stopped at render time, and the
// built-in serves: each bound is reported by name.
func TestOverrideStoppedAtRenderFallsBack(t *testing.T) {
	html := builtinSource(t, VariantPublic).HTML
	loop := Source{"{{.Title}}", nestedRanges(2, "") + "{{.BodyText}}", html}
	if err := CheckOverride(context.Background(), VariantPublic, "en", loop); err != nil {
		t.Fatalf("the check refused a template it should pass: %v", err)
	}
	big := manyContacts("en", VariantPublic, 400) // 160,000 iterations per part
	// The built-in's own time with 400 contacts is not the override's.
	start := time.Now()
	if _, err := Prepare(VariantPublic, big); err != nil {
		t.Fatal(err)
	}
	builtin := time.Since(start)
	for name, tc := range map[string]struct {
		lim  limits
		src  Source
		want string
	}{
		"steps": {limits{steps: 100_000, bytes: 256 << 10, duration: time.Minute}, loop,
			"text: more than 100000 steps (template calls, range iterations and function calls)"},
		"time": {limits{steps: 1 << 30, bytes: 256 << 10, duration: 200 * time.Millisecond}, loop,
			"rendering took longer than 200ms"},
		"bytes": {limits{steps: 100_000, bytes: 256 << 10, duration: time.Minute},
			Source{"{{.Title}}", "{{range .Contacts}}{{$.BodyText}}{{end}}", html},
			"text: output exceeds 262144 bytes besides the release body"},
		"the default limits": {overrideLimits, loop, "text: "},
	} {
		ov := overridesWithLimits(t, tc.lim, storedOverride{Message: VariantPublic, Language: "en", Source: tc.src})
		start := time.Now()
		p, err := PrepareWith(ov, VariantPublic, big)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.OverrideError() == nil || !strings.Contains(p.OverrideError().Error(), tc.want) {
			t.Errorf("%s: OverrideError() = %v, want %q", name, p.OverrideError(), tc.want)
		}
		if took-builtin > 5*time.Second { // 18.9 s before the budget; a loaded machine adds a little
			t.Errorf("%s: stopped after %v (the built-in takes %v), want under five seconds", name, took, builtin)
		}
		t.Logf("%s: stopped and fell back in %v, of which the built-in takes about %v", name, took, builtin)
		text, html := p.Personalize(ana)
		mustContain(t, name+" text (the built-in)", text, "Officer 399", "For more information, please contact:")
		mustContain(t, name+" html (the built-in)", html, "<!DOCTYPE html>")
	}
}

// An abandoned request stops rendering: the context ends it, whatever the
// budget left, and nothing falls back.
func TestRenderStopsWithContext(t *testing.T) {
	html := builtinSource(t, VariantPublic).HTML
	ov := overridesWithLimits(t, limits{steps: 1 << 40, bytes: 256 << 10, duration: time.Hour},
		storedOverride{Message: VariantPublic, Language: "en", Source: Source{"{{.Title}}", nestedRanges(2, ""), html}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := PrepareContext(ctx, ov, VariantPublic, manyContacts("en", VariantPublic, 3000)) // 9 million iterations a part
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
	if took := time.Since(start); took > 5*time.Second { // unbounded before; a loaded machine adds a little
		t.Errorf("stopped after %v", took)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err = CheckOverride(cancelled, VariantPublic, "en", builtinSource(t, VariantPublic))
	if !errors.Is(err, context.Canceled) || communique.ErrorCode(err) == communique.EINVALID {
		t.Errorf("CheckOverride after the request ended: %v", err)
	}
}

// The budget instruments administrators' templates without changing what
// they write, in any HTML context: the inserted steps are empty ifs.
func TestInstrumentedOutputUnchanged(t *testing.T) {
	src := Source{
		Subject: "{{range .Contacts}}{{.Name}} {{end}}",
		Text:    "{{range .Contacts}}[{{.Name}}]{{end}}",
		HTML: `<p title="{{range .Contacts}}{{.Name}};{{end}}">{{range .Contacts}}<b>{{.Name}}</b>{{end}}</p>` +
			`<a href="https://example.org/?q={{range .Contacts}}{{.Email}},{{end}}">x</a>` +
			`<script>var c = [{{range .Contacts}}{{.Phone}},{{end}}];</script>`,
	}
	ov := overridesOf(t, storedOverride{Message: VariantPublic, Language: "en", Source: src})
	p, err := PrepareWith(ov, VariantPublic, release("en"))
	if err != nil || p.OverrideError() != nil {
		t.Fatal(err, p.OverrideError())
	}
	text, html := p.Personalize(ana)
	if want := "Awa Example John Model"; p.Subject() != want {
		t.Errorf("subject %q, want %q", p.Subject(), want)
	}
	if want := "[Awa Example][John Model]"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	want := `<p title="Awa Example;John Model;"><b>Awa Example</b><b>John Model</b></p>` +
		`<a href="https://example.org/?q=awa.example%40example.org,press%40example.org,">x</a>` +
		`<script>var c = ["+222 45 00 00 00","+41 22 000 00 00",];</script>`
	if html != want {
		t.Errorf("html\n got %s\nwant %s", html, want)
	}
}
