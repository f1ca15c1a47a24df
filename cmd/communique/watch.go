package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/releases"
)

// watch draws a release's delivery progress until nothing is left to
// send: one line per dispatch (the embargoed notice, the public version,
// any correction or recall) and, while the embargo holds, a countdown to
// the lift. A terminal gets the block redrawn in place; anything else
// gets each line again when it changes, at most once a second.
func watch(ctx context.Context, db *sqlx.DB, id int64, w io.Writer) error {
	tty := isTerminal(w)
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	drawn := 0                     // lines of the block on a terminal
	printed := map[string]string{} // the last line printed for each label
	lastPrint := map[string]time.Time{}
	for {
		p, err := releases.GetProgress(ctx, db, id)
		if err != nil {
			return describe(err)
		}
		finished := p.Finished()
		lines := watchLines(p, time.Now())
		if tty {
			if drawn > 0 { // back to the block's top, and clear it
				fmt.Fprintf(w, "\x1b[%dA\r\x1b[J", drawn)
			}
			for _, l := range lines {
				fmt.Fprintln(w, l.text)
			}
			drawn = len(lines)
		} else {
			for _, l := range lines {
				// A line is printed when it changed, unless it changes so
				// often that a log would fill up; its last state always is.
				if l.text == printed[l.label] || time.Since(lastPrint[l.label]) < time.Second && !finished && !l.final {
					continue
				}
				fmt.Fprintln(w, l.text)
				printed[l.label], lastPrint[l.label] = l.text, time.Now()
			}
		}
		if finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// watchLine is one line of the watch: label names what it is about.
type watchLine struct {
	label, text string
	final       bool // it will not change again
}

// variantLabels names each dispatch on its line, all padded alike.
var variantLabels = map[string]string{
	"embargoed":       "embargoed notice",
	"public":          "public version",
	"correction":      "correction",
	"recall":          "recall",
	"embargo_changed": "embargo change",
}

func watchLines(p *releases.Progress, now time.Time) []watchLine {
	var lines []watchLine
	embargo := embargoLine(p, now)
	for _, d := range p.Dispatches {
		if d.Variant != "embargoed" && embargo != nil { // the countdown comes before what follows the lift
			lines, embargo = append(lines, *embargo), nil
		}
		label := variantLabels[d.Variant]
		if label == "" {
			label = d.Variant
		}
		if d.Revision > 0 {
			label = fmt.Sprintf("%s %d", label, d.Revision)
		}
		lines = append(lines, watchLine{label: label, text: fmt.Sprintf("%-18s %s", label, progressLine(&d.Report, 30)), final: d.Done})
	}
	if embargo != nil {
		lines = append(lines, *embargo)
	}
	if len(lines) == 0 {
		lines = append(lines, watchLine{label: "status", text: fmt.Sprintf("%-18s not published yet", p.Status)})
	}
	return lines
}

// embargoLine counts down to the lift while the embargo holds, and says
// when it lifted once it has; nil for a release without embargo.
func embargoLine(p *releases.Progress, now time.Time) *watchLine {
	if p.EmbargoUntil == nil || p.Status == releases.StatusDraft {
		return nil
	}
	at := p.EmbargoUntil.UTC().Format(time.RFC3339)
	switch left := p.EmbargoUntil.Sub(now).Round(time.Second); {
	case p.Status != releases.StatusEmbargoed:
		return &watchLine{label: "embargo", text: fmt.Sprintf("%-18s lifted %s", "embargo", at), final: true}
	case left > 0:
		return &watchLine{label: "embargo", text: fmt.Sprintf("%-18s lifts %s, in %s", "embargo", at, left)}
	default:
		return &watchLine{label: "embargo", text: fmt.Sprintf("%-18s lifts %s, now", "embargo", at)}
	}
}

// progressLine renders "[#####.....] 1234/5000  sent 1200 · deferred 3".
func progressLine(rep *releases.Report, width int) string {
	settled := rep.Total - rep.ByStatus["queued"] - rep.ByStatus["deferred"]
	filled := 0
	if rep.Total > 0 {
		filled = settled * width / rep.Total
	}
	var parts []string
	keys := make([]string, 0, len(rep.ByStatus))
	for k := range rep.ByStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, rep.ByStatus[k]))
	}
	return fmt.Sprintf("[%s%s] %d/%d  %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		settled, rep.Total, strings.Join(parts, " · "))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
