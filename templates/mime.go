package templates

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Headers are a message's headers that are not the recipient's; the
// dispatcher's are the same for a whole release.
type Headers struct {
	FromName, FromEmail string
	ReplyTo             string // an address; empty for none
	MessageID           string // without angle brackets, e.g. "delivery-1.release-2@example.org"
	Date                time.Time
	// ListID is e.g. "Media Office releases <releases.example.org>".
	ListID string
	// UnsubscribeHTTPS and UnsubscribeMailto make the List-Unsubscribe
	// headers (RFC 8058 one-click, with List-Unsubscribe-Post); empty for
	// recipients who cannot unsubscribe.
	UnsubscribeHTTPS, UnsubscribeMailto string
}

// mimeCache holds what WriteMessage shares between recipients: the
// literals quoted-printable encoded once, the encoded subject, the
// boundary, and the sender's headers of the last call.
type mimeCache struct {
	once       sync.Once
	boundary   string
	subject    string // "Subject: …\r\n", encoded and folded
	text, html [forms]qpLayout
	sender     atomic.Pointer[senderHeaders]
	// tracked holds the layouts with links and pixel cut out, by what
	// is tracked (see Prepared.tracked), made on first use.
	tracked [4]trackedMIME
}

// qpLayout is a layout whose literals are quoted-printable, each ending
// with a soft line break unless it ends a line or the part, so encoded
// values can go between them.
type qpLayout struct {
	lits  []string
	slots []field
	size  int
	links []int32 // as layout.links
}

type senderHeaders struct {
	fromName, fromEmail, replyTo, listID string
	encoded                              string
}

func (p *Prepared) initMIME() {
	m := &p.mime
	var b [12]byte
	_, _ = rand.Read(b[:])
	// "=_" never occurs in quoted-printable text, so no part can contain
	// the boundary.
	m.boundary = "=_cq" + hex.EncodeToString(b[:])
	m.subject = string(appendUnstructured([]byte("Subject: "), len("Subject: "), p.subject)) + "\r\n"
	intern := map[string]string{}
	for f := range forms {
		m.text[f] = qpEncode(&p.text[f], intern)
		m.html[f] = qpEncode(&p.html[f], intern)
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// WriteMessage writes the complete message for rc (headers, then a
// multipart/alternative body of the plain text and the HTML, both
// quoted-printable UTF-8 with their Content-Language) to w in one Write,
// ready for SMTP's DATA (the SMTP client does the dot-stuffing). rc.Email
// is the To address. It executes no template and encodes only the
// recipient's fields: everything else was encoded on first use.
//
// A header can carry neither a line break nor a second address: names and
// the subject are encoded, and addresses, the Message-ID and the
// unsubscribe links with a character that could break out of their
// header are refused with an error.
func (p *Prepared) WriteMessage(w io.Writer, h Headers, rc Recipient) error {
	bp := bufPool.Get().(*[]byte)
	b, err := p.AppendMessage((*bp)[:0], h, rc)
	if err == nil {
		_, err = w.Write(b)
	}
	if cap(b) <= 1<<20 { // let an outsized message go rather than keep it
		*bp = b[:0]
		bufPool.Put(bp)
	}
	return err
}

// AppendMessage is WriteMessage appending to dst.
func (p *Prepared) AppendMessage(dst []byte, h Headers, rc Recipient) ([]byte, error) {
	m := &p.mime
	m.once.Do(p.initMIME)

	sender, err := p.senderHeaders(&h)
	if err != nil {
		return dst, err
	}
	to, err := headerAddress(rc.Email)
	if err != nil {
		return dst, fmt.Errorf("to: %w", err)
	}
	if err := headerToken("Message-ID", h.MessageID); err != nil {
		return dst, err
	}
	if !strings.Contains(h.MessageID, "@") {
		return dst, fmt.Errorf("Message-ID %q: want left@domain", h.MessageID)
	}
	if h.UnsubscribeHTTPS != "" {
		if err := headerToken("unsubscribe link", h.UnsubscribeHTTPS); err != nil || !httpURL(h.UnsubscribeHTTPS) {
			return dst, fmt.Errorf("unsubscribe link %q: want an http(s) URL without spaces or angle brackets", h.UnsubscribeHTTPS)
		}
		if h.UnsubscribeMailto != "" {
			if err := headerToken("unsubscribe address", h.UnsubscribeMailto); err != nil || !strings.HasPrefix(h.UnsubscribeMailto, "mailto:") {
				return dst, fmt.Errorf("unsubscribe address %q: want a mailto: URL without spaces or angle brackets", h.UnsubscribeMailto)
			}
		}
	}

	tv, hv := p.values(rc)
	f := formOf(&tv)
	text, html := &m.text[f], &m.html[f]
	if rc.Track != nil {
		if tm := p.tracked(rc.Track); tm != nil {
			text, html = &tm.text[f], &tm.html[f]
			setTracking(rc.Track, tm, &tv, &hv)
		}
	}
	if need := len(dst) + text.size + html.size + 1024 + 3*(len(tv.name)+len(hv.name)+len(tv.url)+len(hv.url)+len(tv.preview)+len(hv.preview)+len(hv.local)+len(hv.previous)+
		tv.size(fieldGreeting)+hv.size(fieldGreeting)+2*trackedSize(&tv)); cap(dst) < need {
		dst = append(make([]byte, 0, need), dst...)
	}

	date := h.Date
	if date.IsZero() {
		date = time.Now()
	}
	dst = append(dst, "Date: "...)
	dst = date.AppendFormat(dst, time.RFC1123Z)
	dst = append(dst, "\r\n"...)
	dst = append(dst, sender...)
	dst = appendAddressHeader(dst, "To: ", tv.name, to)
	dst = append(dst, m.subject...)
	dst = append(dst, "Message-ID: <"...)
	dst = append(dst, h.MessageID...)
	dst = append(dst, ">\r\n"...)
	if h.UnsubscribeHTTPS != "" {
		dst = append(dst, "List-Unsubscribe: <"...)
		dst = append(dst, h.UnsubscribeHTTPS...)
		if h.UnsubscribeMailto != "" {
			dst = append(dst, ">,\r\n <"...)
			dst = append(dst, h.UnsubscribeMailto...)
		}
		dst = append(dst, ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"...)
	}
	dst = append(dst, "Auto-Submitted: auto-generated\r\nPrecedence: bulk\r\nContent-Language: "...)
	dst = append(dst, p.lang...)
	dst = append(dst, "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\""...)
	dst = append(dst, m.boundary...)
	dst = append(dst, "\"\r\n\r\n"...)

	// The CRLF before a delimiter belongs to the delimiter (RFC 2046).
	dst = append(dst, "--"...)
	dst = p.appendPart(dst, "text/plain", text, &tv)
	dst = append(dst, "\r\n--"...)
	dst = p.appendPart(dst, "text/html", html, &hv)
	dst = append(dst, "\r\n--"...)
	dst = append(dst, m.boundary...)
	dst = append(dst, "--\r\n"...)
	return dst, nil
}

// appendPart appends a part after its delimiter's "--".
func (p *Prepared) appendPart(dst []byte, typ string, l *qpLayout, v *values) []byte {
	dst = append(dst, p.mime.boundary...)
	dst = append(dst, "\r\nContent-Type: "...)
	dst = append(dst, typ...)
	dst = append(dst, "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Language: "...)
	dst = append(dst, p.lang...)
	dst = append(dst, "\r\n\r\n"...)
	for i, f := range l.slots {
		dst = append(dst, l.lits[i]...)
		if f == fieldLink {
			dst = appendQP(dst, v.links[l.links[i]], false)
			continue
		}
		if f == fieldGreeting {
			for _, s := range v.greeting {
				if s != "" {
					dst = appendQP(dst, s, false)
				}
			}
			continue
		}
		dst = appendQP(dst, v.get(f), false)
	}
	return append(dst, l.lits[len(l.lits)-1]...)
}

// senderHeaders returns From, Reply-To and List-Id, encoded once for as
// long as they stay the same (a dispatcher's are fixed).
func (p *Prepared) senderHeaders(h *Headers) (string, error) {
	if c := p.mime.sender.Load(); c != nil && c.fromName == h.FromName && c.fromEmail == h.FromEmail &&
		c.replyTo == h.ReplyTo && c.listID == h.ListID {
		return c.encoded, nil
	}
	from, err := headerAddress(h.FromEmail)
	if err != nil {
		return "", fmt.Errorf("from: %w", err)
	}
	b := appendAddressHeader(nil, "From: ", oneLine(h.FromName), from)
	if h.ReplyTo != "" {
		rt, err := headerAddress(h.ReplyTo)
		if err != nil {
			return "", fmt.Errorf("reply-to: %w", err)
		}
		b = append(b, "Reply-To: <"...)
		b = append(b, rt...)
		b = append(b, ">\r\n"...)
	}
	if id := oneLine(h.ListID); id != "" {
		phrase, tok := "", id
		if i := strings.LastIndexByte(id, '<'); i >= 0 && strings.HasSuffix(id, ">") {
			phrase, tok = strings.TrimSpace(id[:i]), id[i+1:len(id)-1]
		}
		if err := headerToken("List-Id", tok); err != nil {
			return "", err
		}
		b = append(b, "List-Id: "...)
		if phrase != "" {
			b = appendPhrase(b, len("List-Id: "), phrase)
			b = append(b, ' ')
		}
		b = append(b, '<')
		b = append(b, tok...)
		b = append(b, ">\r\n"...)
	}
	c := &senderHeaders{fromName: h.FromName, fromEmail: h.FromEmail, replyTo: h.ReplyTo, listID: h.ListID, encoded: string(b)}
	p.mime.sender.Store(c)
	return c.encoded, nil
}

// appendAddressHeader appends "Name: phrase <addr>\r\n", folding before
// the address when the line would pass 78 characters.
func appendAddressHeader(dst []byte, name, phrase, addr string) []byte {
	start := len(dst)
	dst = append(dst, name...)
	if phrase != "" {
		dst = appendPhrase(dst, len(name), phrase)
		col := len(dst) - start
		if i := lastCRLF(dst[start:]); i >= 0 {
			col = len(dst) - start - i - 2
		}
		if col+len(addr)+3 > 78 {
			dst = append(dst, "\r\n "...)
		} else {
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, '<')
	dst = append(dst, addr...)
	return append(dst, ">\r\n"...)
}

func lastCRLF(b []byte) int {
	for i := len(b) - 2; i >= 0; i-- {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}
