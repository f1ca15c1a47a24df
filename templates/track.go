package templates

import (
	"bytes"
	"html"
	"sort"
	"strings"
	"sync"

	nethtml "golang.org/x/net/html"
)

// Tracking asks AppendMessage to count one recipient's opens and clicks.
// The message is still rendered once per release, message and language:
// its links are cut out of the rendered parts once (per Prepared), like
// the personal fields, and each recipient's addresses are spliced in.
type Tracking struct {
	// Pixel is the address of a 1×1 image that counts an open, added at
	// the end of the HTML part; empty adds none. The plain-text part has
	// no pixel.
	Pixel string
	// Click, when set, returns the address that counts a click on target
	// and then leads there. Every http(s) link of both parts becomes its
	// Click address, except the recipient's own links (unsubscribe,
	// preview), which are personal fields, and mailto: links. In the
	// HTML part the links are the href of <a> elements, in the plain
	// text the "<http…>" the text writes for a link.
	Click func(target string) string
}

// Link and pixel slots exist only in tracked layouts: rendered output
// never holds their markers, so cut never sees them.
const (
	fieldLink  field = 'K'
	fieldPixel field = 'O'
)

// maxTrackedURL leaves longer links as they are: a click address carries
// its target, and some mail clients cut very long URLs.
const maxTrackedURL = 2000

// pixelHTML surrounds the pixel's address.
const (
	pixelBefore = `<img src="`
	pixelAfter  = `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;">`
)

// trackedMIME is a Prepared's layouts with their links and pixel cut out,
// for one combination of pixel and clicks, encoded like mimeCache's.
type trackedMIME struct {
	once       sync.Once
	text, html [forms]qpLayout
	// targets are the links found, each once; a link slot names its
	// target by index (qpLayout.links).
	targets []string
}

// tracked returns the layouts for t, or nil when t tracks nothing.
func (p *Prepared) tracked(t *Tracking) *trackedMIME {
	mode := 0
	if t.Pixel != "" {
		mode |= 1
	}
	if t.Click != nil {
		mode |= 2
	}
	if mode == 0 {
		return nil
	}
	tm := &p.mime.tracked[mode]
	tm.once.Do(func() { p.initTracked(tm, mode&1 != 0, mode&2 != 0) })
	return tm
}

func (p *Prepared) initTracked(tm *trackedMIME, pixel, clicks bool) {
	index := map[string]int32{}
	intern := map[string]string{}
	for f := range forms {
		if p.text[f].lits == nil {
			continue
		}
		// The plain text has no pixel: without clicks it stays as it is.
		text, find := p.text[f], (func(string) []span)(nil)
		if clicks {
			text, find = retrack(&p.text[f], textLinks, false, index, &tm.targets), htmlLinks
		}
		html := retrack(&p.html[f], find, pixel, index, &tm.targets)
		tm.text[f] = qpEncode(&text, intern)
		tm.html[f] = qpEncode(&html, intern)
	}
}

// span is a link's address in a rendered part: s[start:end] is replaced
// by the click address of target.
type span struct {
	start, end int
	target     string
}

// retrack cuts l again, with a link slot for each span find returns and,
// when pixel is set, the pixel before </body> (or at the end).
func retrack(l *layout, find func(string) []span, pixel bool, index map[string]int32, targets *[]string) layout {
	var b strings.Builder
	for i, f := range l.slots {
		b.WriteString(l.lits[i])
		b.WriteString(marker(f))
	}
	b.WriteString(l.lits[len(l.lits)-1])
	s := b.String()

	// A cut replaces s[start:end] with before, a slot and after.
	type cutAt struct {
		start, end    int
		f             field
		link          int32
		before, after string
	}
	var cuts []cutAt
	if find != nil {
		for _, sp := range find(s) {
			k, ok := index[sp.target]
			if !ok {
				k = int32(len(*targets))
				index[sp.target] = k
				*targets = append(*targets, sp.target)
			}
			cuts = append(cuts, cutAt{start: sp.start, end: sp.end, f: fieldLink, link: k})
		}
	}
	if pixel {
		at := len(s)
		if i := lastFold(s, "</body"); i >= 0 {
			at = i
		}
		cuts = append(cuts, cutAt{start: at, end: at, f: fieldPixel, link: -1, before: pixelBefore, after: pixelAfter})
	}
	sort.SliceStable(cuts, func(i, j int) bool { return cuts[i].start < cuts[j].start })

	var out layout
	pos, pending := 0, ""
	lit := func(x string) {
		out.lits = append(out.lits, strings.Clone(pending+x))
		pending = ""
	}
	slot := func(f field, link int32) {
		out.slots = append(out.slots, f)
		out.links = append(out.links, link)
	}
	// upTo cuts s[pos:limit] at the personal fields' markers.
	upTo := func(limit int) {
		for {
			i := strings.Index(s[pos:limit], markerPrefix)
			if i < 0 {
				return
			}
			lit(s[pos : pos+i])
			slot(field(s[pos+i+len(markerPrefix)]), -1)
			pos += i + len(markerPrefix) + 1
		}
	}
	for _, c := range cuts {
		upTo(c.start)
		lit(s[pos:c.start] + c.before)
		slot(c.f, c.link)
		pending, pos = c.after, c.end
	}
	upTo(len(s))
	lit(s[pos:])
	for _, x := range out.lits {
		out.size += len(x)
	}
	return out
}

// lastFold is the index of the last ASCII case-insensitive match of
// sub (lower case) in s, or -1.
func lastFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// trackable reports a link target worth counting: http(s), not too long,
// without spaces or control characters (which no click address could
// carry back intact), and no personal field in it.
func trackable(target string) bool {
	if !httpURL(target) || len(target) > maxTrackedURL || strings.Contains(target, markerPrefix) {
		return false
	}
	for i := 0; i < len(target); i++ {
		if target[i] <= ' ' || target[i] == 0x7f {
			return false
		}
	}
	return true
}

// textLinks finds the "<http…>" the plain text writes for links.
func textLinks(s string) []span {
	var out []span
	for pos := 0; ; {
		i := strings.Index(s[pos:], "<http")
		if i < 0 {
			return out
		}
		start := pos + i + 1
		end := strings.IndexAny(s[start:], "> \t\r\n<")
		if end < 0 {
			return out
		}
		end += start
		pos = end
		if s[end] != '>' || !trackable(s[start:end]) {
			continue
		}
		out = append(out, span{start: start, end: end, target: s[start:end]})
	}
}

// htmlLinks finds the href of every <a> element in an HTML part, as
// HTML's tokenizer reads it (comments, scripts and styles are not
// elements).
func htmlLinks(s string) []span {
	var out []span
	z := nethtml.NewTokenizer(strings.NewReader(s))
	pos := 0
	for {
		tt := z.Next()
		if tt == nethtml.ErrorToken {
			return out
		}
		raw := z.Raw()
		if tt == nethtml.StartTagToken || tt == nethtml.SelfClosingTagToken {
			if name, _ := z.TagName(); string(name) == "a" {
				if vs, ve, ok := hrefValue(raw); ok {
					target := html.UnescapeString(string(raw[vs:ve]))
					if trackable(target) {
						out = append(out, span{start: pos + vs, end: pos + ve, target: target})
					}
				}
			}
		}
		pos += len(raw)
	}
}

// hrefValue locates the value of a start tag's first href attribute in
// raw, the tag as written, following HTML's attribute syntax.
func hrefValue(raw []byte) (start, end int, ok bool) {
	i := bytes.IndexAny(raw, " \t\n\f\r/>")
	if i < 0 {
		return 0, 0, false
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }
	for i < len(raw) {
		for i < len(raw) && (isSpace(raw[i]) || raw[i] == '/') {
			i++
		}
		if i >= len(raw) || raw[i] == '>' {
			return 0, 0, false
		}
		n := i
		for i < len(raw) && !isSpace(raw[i]) && raw[i] != '/' && raw[i] != '>' && (raw[i] != '=' || i == n) {
			i++
		}
		name := raw[n:i]
		for i < len(raw) && isSpace(raw[i]) {
			i++
		}
		if i >= len(raw) || raw[i] != '=' {
			continue // an attribute without a value
		}
		i++
		for i < len(raw) && isSpace(raw[i]) {
			i++
		}
		if i >= len(raw) {
			return 0, 0, false
		}
		var vs, ve int
		if q := raw[i]; q == '"' || q == '\'' {
			j := bytes.IndexByte(raw[i+1:], q)
			if j < 0 {
				return 0, 0, false
			}
			vs, ve = i+1, i+1+j
			i = ve + 1
		} else {
			vs = i
			for i < len(raw) && !isSpace(raw[i]) && raw[i] != '>' {
				i++
			}
			ve = i
		}
		if string(bytes.ToLower(name)) == "href" {
			return vs, ve, true
		}
	}
	return 0, 0, false
}

// qpEncode encodes a layout's literals as quoted-printable once, sharing
// the encoding of equal literals through intern, for every recipient's
// message to copy.
func qpEncode(l *layout, intern map[string]string) qpLayout {
	if l.lits == nil {
		return qpLayout{}
	}
	q := qpLayout{slots: l.slots, links: l.links, lits: make([]string, len(l.lits))}
	for i, s := range l.lits {
		final := i == len(l.lits)-1
		key := s
		if final {
			key = "\x00" + s
		}
		e, ok := intern[key]
		if !ok {
			e = qpString(s, final)
			intern[key] = e
		}
		q.lits[i] = e
		q.size += len(e)
	}
	return q
}

// setTracking gives the values of both parts t's addresses for tm's
// targets.
func setTracking(t *Tracking, tm *trackedMIME, tv, hv *values) {
	tv.pixel, hv.pixel = t.Pixel, escapeAttr(t.Pixel)
	if t.Click == nil || len(tm.targets) == 0 {
		return
	}
	tv.links = make([]string, len(tm.targets))
	hv.links = make([]string, len(tm.targets))
	for i, target := range tm.targets {
		u := t.Click(target)
		tv.links[i], hv.links[i] = u, escapeAttr(u)
	}
}

// escapeAttr escapes s for a quoted attribute, without allocating for
// the addresses the dispatcher makes, which need nothing escaped.
func escapeAttr(s string) string {
	if !strings.ContainsAny(s, `<>&'"`) {
		return s
	}
	return html.EscapeString(s)
}

// trackedSize is what t's addresses add to a message, about.
func trackedSize(tv *values) int {
	n := len(tv.pixel)
	for _, l := range tv.links {
		n += len(l)
	}
	return n
}
