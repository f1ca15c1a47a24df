package office

import (
	"time"
)

// The report's charts are SVG drawn on the server: the geometry is worked
// out here and the template only places it, so no script or library is
// needed and every number is also in a table beside the drawing.

// chart is a horizontal bar chart of counts.
type chart struct {
	Bars   []bar
	Height int
}

// bar is one row of a bar chart.
type bar struct {
	Label, Value, Colour    string
	Y, TextY, Width, ValueX int
}

// Chart geometry, in SVG user units: labels on the left, bars after them.
const (
	chartWidth = 600
	labelWidth = 170
	barMax     = 340
	rowHeight  = 28
)

// barChart draws counts in the order of keys; keys with nothing are left
// out. name and colour say what to call and how to fill each key.
func (v *relView) barChart(counts map[string]int, keys []string, name, colour func(string) string) chart {
	max := 0
	for _, k := range keys {
		if counts[k] > max {
			max = counts[k]
		}
	}
	var c chart
	for _, k := range keys {
		n := counts[k]
		if n == 0 {
			continue
		}
		y := len(c.Bars) * rowHeight
		c.Bars = append(c.Bars, bar{Label: name(k), Value: v.Count(n), Colour: colour(k),
			Y: y + 4, TextY: y + 19, Width: max1(n * barMax / max)})
		b := &c.Bars[len(c.Bars)-1]
		b.ValueX = labelWidth + b.Width + 6
	}
	c.Height = len(c.Bars) * rowHeight
	return c
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// statusColour fills a delivery status's bar; each has at least 3:1
// contrast on white, as graphics need.
func statusColour(status string) string {
	switch status {
	case "sent":
		return "#2e7d32"
	case "deferred":
		return "#a15c00"
	case "failed", "bounced", "complained":
		return "#b3261e"
	case "queued":
		return "#5a6472"
	}
	return "#37474f"
}

// timeChart is a column chart of sends over time.
type timeChart struct {
	Columns        []column
	Max            string
	From, To, Step string
	Width, Height  int
	Base, ToX      int
}

// column is one span of the time chart.
type column struct {
	X, Y, Width, Height int
	Label               string
}

// Time chart geometry: the columns sit between an axis on the left, where
// the highest count is written, and one below for the times.
const (
	timeLeft   = 56
	timeTop    = 12
	timeHeight = 150
)

// drawTime draws counts, each the sends of one step from first.
func (v *relView) drawTime(first time.Time, step time.Duration, counts []int) *timeChart {
	top := 0
	for _, n := range counts {
		if n > top {
			top = n
		}
	}
	tc := &timeChart{Max: v.Count(top), Width: chartWidth, Height: timeTop + timeHeight + 36, Base: timeTop + timeHeight}
	// A few spans would make slabs: a column is at most 48 wide.
	w := min(48, max(1, (chartWidth-timeLeft-8)/len(counts)))
	for i, n := range counts {
		if n == 0 {
			continue
		}
		h := max1(n * timeHeight / top)
		at := first.Add(time.Duration(i) * step)
		tc.Columns = append(tc.Columns, column{X: timeLeft + i*w, Y: tc.Base - h, Width: max1(w - 1), Height: h,
			Label: v.when(at, step < time.Minute) + ": " + v.Count(n)})
	}
	tc.ToX = chartWidth
	last := first.Add(time.Duration(len(counts)) * step)
	tc.From, tc.To, tc.Step = v.when(first, step < time.Minute), v.when(last, step < time.Minute), step.String()
	return tc
}

// when is Local to the second when seconds matter.
func (v *relView) when(t time.Time, seconds bool) string {
	if !seconds {
		return v.Local(&t)
	}
	const layout = "2006-01-02 15:04:05"
	utc := t.UTC().Format(layout) + " UTC"
	if v.loc == time.UTC {
		return utc
	}
	return t.In(v.loc).Format(layout) + " " + v.loc.String() + " (" + utc + ")"
}
