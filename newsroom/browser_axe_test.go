package newsroom_test

import (
	"github.com/communique/communique/headless"
)

// axeFile is axe-core as the press office's tests vendor it.
const axeFile = "../office/testdata/axe-core/axe.min.js"

// axe fails the test on each serious or critical violation axe-core
// finds on the page the driver shows.
func (d *driver) axe(step string) {
	d.t.Helper()
	for _, v := range d.axeFindings() {
		d.t.Errorf("%s: %s (%s): %s at %v", step, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// axeFindings runs axe-core on the page the driver shows.
func (d *driver) axeFindings() []headless.Violation {
	d.t.Helper()
	found, err := headless.Axe(d.ctx, headless.AxeScript(d.t, axeFile))
	if err != nil {
		d.t.Fatal(err)
	}
	return found
}
