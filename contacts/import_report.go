package contacts

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// MaxReported is how many refused rows an import reports one by one;
// past it, the rest are counted by reason, so that the report of a file
// of any size stays small.
const MaxReported = 1000

// rowKinds names, for the summary of refusals, the field a row was refused
// for.
var rowKinds = map[string]string{
	"email":     "bad address",
	"duplicate": "repeated address",
	"columns":   "wrong column count",
	"csv":       "malformed CSV",
	"text":      "not UTF-8 text",
	"country":   "bad country",
	"countries": "unknown country",
	"regions":   "unknown region",
	"topics":    "unknown topic",
	"languages": "bad language",
	"timezone":  "bad time zone",
}

func kindLabel(kind string) string {
	if s, ok := rowKinds[kind]; ok {
		return s
	}
	return "bad " + strings.ReplaceAll(kind, "_", " ")
}

// rejections collects an import's refused rows: the first MaxReported by
// line in full, and a count of all by kind.
type rejections struct {
	shown []RowError
	kinds []string // kind of each of shown
	total int
	count map[string]int
}

func newRejections() *rejections { return &rejections{count: map[string]int{}} }

// add records a refused row; rows must come in line order.
func (r *rejections) add(e RowError, kind string) {
	r.total++
	r.count[kind]++
	if len(r.shown) < MaxReported {
		e.Email = truncate(e.Email, 2*MaxEmailLen)
		r.shown = append(r.shown, e)
		r.kinds = append(r.kinds, kind)
	}
}

// merge adds rows found later that may come before those shown: the
// first of the duplicates (in line order) and their total.
func (r *rejections) merge(rows []RowError, kind string, total int) {
	r.total += total
	r.count[kind] += total
	for _, e := range rows {
		r.shown = append(r.shown, e)
		r.kinds = append(r.kinds, kind)
	}
	idx := make([]int, len(r.shown))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(r.shown[a].Line, r.shown[b].Line) })
	shown, kinds := make([]RowError, 0, len(idx)), make([]string, 0, len(idx))
	for _, i := range idx[:min(len(idx), MaxReported)] {
		shown, kinds = append(shown, r.shown[i]), append(kinds, r.kinds[i])
	}
	r.shown, r.kinds = shown, kinds
}

// fill writes the refusals into res.
func (r *rejections) fill(res *ImportResult) {
	res.Rejected = r.shown
	if res.Rejected == nil {
		res.Rejected = []RowError{}
	}
	res.RejectedTotal = r.total
	if r.total == len(r.shown) {
		return
	}
	more := maps.Clone(r.count)
	for _, k := range r.kinds {
		if more[k]--; more[k] == 0 {
			delete(more, k)
		}
	}
	res.MoreRejected = make(map[string]int, len(more))
	for k, n := range more {
		res.MoreRejected[kindLabel(k)] += n
	}
}

// Summary says how many refused rows Rejected leaves out and why, e.g.
// "and 48,211 more rows refused: 40,000 bad address, 8,211 unknown
// country"; "" when it lists them all.
func (res *ImportResult) Summary() string {
	more := res.RejectedTotal - len(res.Rejected)
	if more <= 0 {
		return ""
	}
	labels := slices.SortedFunc(maps.Keys(res.MoreRejected), func(a, b string) int {
		return cmp.Or(cmp.Compare(res.MoreRejected[b], res.MoreRejected[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = thousands(res.MoreRejected[l]) + " " + l
	}
	rows := "rows"
	if more == 1 {
		rows = "row"
	}
	return fmt.Sprintf("and %s more %s refused: %s", thousands(more), rows, strings.Join(parts, ", "))
}

// thousands writes n with "," between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
