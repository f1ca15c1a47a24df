package newsroom_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/chromedp/chromedp"
)

// axe-core as the press office's tests vendor it from npm (with its
// licence), pinned by its SHA-256: the check runs exactly this file,
// never one fetched at run time.
const (
	axeFile = "../office/testdata/axe-core/axe.min.js"
	axeSum  = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

// violation is one of axe's findings, cut to what a failure needs.
type violation struct {
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

// axe fails the test on each serious or critical violation axe-core
// finds on the page the driver shows.
func (d *driver) axe(step string) {
	d.t.Helper()
	for _, v := range d.axeFindings() {
		d.t.Errorf("%s: %s (%s): %s at %v", step, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// axeFindings runs axe-core on the page the driver shows.
func (d *driver) axeFindings() []violation {
	d.t.Helper()
	script, err := os.ReadFile(axeFile)
	if err != nil {
		d.t.Fatal(err)
	}
	if sum := sha256.Sum256(script); hex.EncodeToString(sum[:]) != axeSum {
		d.t.Fatalf("%s changed: its sum is %x, the pinned one %s", axeFile, sum, axeSum)
	}
	found, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]violation](string(script)+";\n"+axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatal(err)
	}
	return found
}
