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

// watch draws a release's delivery progress until nothing is left to send.
func watch(ctx context.Context, db *sqlx.DB, id int64, w io.Writer) error {
	tty := isTerminal(w)
	var last string
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	lastPrint := time.Time{}
	for {
		rep, err := releases.GetReport(ctx, db, id)
		if err != nil {
			return describe(err)
		}
		var done bool
		if err := db.GetContext(ctx, &done, `
			SELECT count(*) > 0 AND bool_and(status = 'done') FROM dispatches WHERE release_id = $1`, id); err != nil {
			return err
		}
		line := progressLine(rep, 30)
		switch {
		case tty:
			fmt.Fprintf(w, "\r%s", line)
		case line != last && time.Since(lastPrint) >= time.Second || done:
			fmt.Fprintln(w, line)
			lastPrint = time.Now()
		}
		last = line
		if done {
			if tty {
				fmt.Fprintln(w)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(w)
			}
			return nil
		case <-tick.C:
		}
	}
}

// progressLine renders "[#####.....] 1234/5000 sent 1200 · deferred 3".
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
