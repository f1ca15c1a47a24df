package headless

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSum pins the SHA-256 of the vendored axe-core (the press office's
// testdata/axe-core, from npm, with its licence): the checks run exactly
// that file, never one fetched at run time.
const axeSum = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

// Violation is one of axe-core's findings, cut to what a failure needs.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun checks the page against WCAG 2.1 A and AA and returns the
// serious and critical violations.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
	.then(r => r.violations
		.filter(v => v.impact === 'serious' || v.impact === 'critical')
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))`

// AxeScript reads axe-core from path and fails the test unless it is the
// pinned file.
func AxeScript(t testing.TB, path string) []byte {
	t.Helper()
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(script); hex.EncodeToString(sum[:]) != axeSum {
		t.Fatalf("%s changed: its sum is %x, the pinned one %s", path, sum, axeSum)
	}
	return script
}

// Axe runs script (axe-core, from AxeScript) on the page tab shows and
// returns its serious and critical violations of WCAG 2.1 A and AA.
func Axe(tab context.Context, script []byte) ([]Violation, error) {
	return chromedp.Run(tab, chromedp.Evaluate[[]Violation](string(script)+";\n"+axeRun, chromedp.EvalAwaitPromise))
}
