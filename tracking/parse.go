package tracking

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// part is one leaf of a message: its media type and decoded body.
type part struct {
	mediaType string
	body      []byte
}

// parsed holds the leaves of a message, in order, and the report type of
// its multipart/report, if any.
type parsed struct {
	parts      []part
	reportType string
}

var errTooComplex = errors.New("message nested too deep or split into too many parts")

// maxPartBytes caps what is read of one part: the diagnostic is near the
// top, and a returned original may be as large as the message was.
const maxPartBytes = 256 << 10

// walk collects the leaves of a body of content type ct. A part it cannot
// parse is kept as plain text so its words still count.
func (p *parsed) walk(ct, cte string, body io.Reader, depth int) error {
	if depth > maxDepth || len(p.parts) >= maxParts {
		return errTooComplex
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || ct == "" {
		mt, params = "text/plain", nil
	}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		if mt == "multipart/report" && p.reportType == "" {
			p.reportType = strings.ToLower(params["report-type"])
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			np, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(np.Header.Get("Content-Type"), np.Header.Get("Content-Transfer-Encoding"), np, depth+1); err != nil {
				return err
			}
		}
	}
	b, err := io.ReadAll(io.LimitReader(decodeTransfer(body, cte), maxPartBytes))
	if err != nil && len(b) == 0 {
		b = nil
	}
	if strings.HasPrefix(mt, "text/") {
		b = toUTF8(b, params["charset"])
	}
	p.parts = append(p.parts, part{mediaType: mt, body: b})
	return nil
}

// decodeTransfer undoes a part's Content-Transfer-Encoding; a broken
// encoding yields what could be read.
func decodeTransfer(r io.Reader, cte string) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &stripSpace{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// stripSpace drops line breaks and spaces, which base64 bodies carry and
// the decoder refuses.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(b []byte) (int, error) {
	for {
		n, err := s.r.Read(b)
		j := 0
		for _, c := range b[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				b[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// first returns the first leaf whose media type is one of types.
func (p *parsed) first(types ...string) (part, bool) {
	for _, pt := range p.parts {
		for _, t := range types {
			if pt.mediaType == t {
				return pt, true
			}
		}
	}
	return part{}, false
}

// text is the message's human-readable text: its text/plain leaves, or
// failing those any text leaf.
func (p *parsed) text() string {
	var b strings.Builder
	for _, pt := range p.parts {
		if pt.mediaType == "text/plain" {
			b.Write(pt.body)
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		for _, pt := range p.parts {
			if strings.HasPrefix(pt.mediaType, "text/") {
				b.Write(pt.body)
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// originalMessageID is the Message-ID of the returned original message or
// its headers, when the report includes them.
func (p *parsed) originalMessageID() string {
	pt, ok := p.first("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers")
	if !ok {
		return ""
	}
	h, _ := readHeaderGroup(bufio.NewReader(bytes.NewReader(pt.body)))
	return strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
}

// readHeaderGroup reads one block of header fields, up to a blank line.
// Whatever could be read is returned even when the block is malformed.
func readHeaderGroup(r *bufio.Reader) (textproto.MIMEHeader, error) {
	return textproto.NewReader(r).ReadMIMEHeader()
}

// headerGroups splits a report body (message/delivery-status) into its
// blocks of fields.
func headerGroups(b []byte) []textproto.MIMEHeader {
	var groups []textproto.MIMEHeader
	r := bufio.NewReader(bytes.NewReader(b))
	for i := 0; i < maxParts; i++ {
		// Blank lines between groups are skipped; a group is never empty.
		for {
			c, err := r.Peek(1)
			if err != nil {
				return groups
			}
			if c[0] != '\r' && c[0] != '\n' {
				break
			}
			r.ReadByte()
		}
		h, err := readHeaderGroup(r)
		if len(h) > 0 {
			groups = append(groups, h)
		}
		if err != nil {
			return groups
		}
	}
	return groups
}

// decodeHeader decodes RFC 2047 words; undecodable text is kept as is.
func decodeHeader(v string) string {
	d := mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		// Only the markers matter, and they are ASCII.
		return r, nil
	}}
	if s, err := d.DecodeHeader(v); err == nil {
		return s
	}
	return v
}

// toUTF8 decodes text in any charset the WHATWG encoding standard names,
// so that a bounce in UTF-16 or a legacy charset shows its markers. A
// charset unknown or text undecodable is kept as it is: what is stored is
// made valid UTF-8 later.
func toUTF8(b []byte, charset string) []byte {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return b
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return b
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return b
	}
	return out
}
