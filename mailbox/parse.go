package mailbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds how deeply nested multiparts are followed.
const maxDepth = 8

// summarize returns the decoded Subject and the Message-ID (without angle
// brackets) of a raw message; both are empty if its header does not parse.
func summarize(data []byte) (subject, messageID string) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return "", ""
	}
	subject = decodeHeader(msg.Header.Get("Subject"))
	messageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	messageID = strings.TrimSuffix(strings.TrimPrefix(messageID, "<"), ">")
	return subject, messageID
}

// decodeHeader decodes RFC 2047 encoded words, leaving the value as it is
// when they do not decode (an unknown charset, say).
func decodeHeader(v string) string {
	dec := new(mime.WordDecoder)
	s, err := dec.DecodeHeader(v)
	if err != nil {
		return v
	}
	return s
}

// field is one header field, decoded for display.
type field struct {
	Name, Value string
}

// attachment is a part that is neither the text nor the HTML body.
type attachment struct {
	Name string
	Type string
	Size int64
}

// content is what the message page shows of one message.
type content struct {
	Header      []field // the usual fields, in the order of mainFields
	Extra       []field // the other fields, by name
	Text        string  // the first text/plain part
	HTML        string  // the first text/html part
	Attachments []attachment
}

// mainFields are shown first, in this order.
var mainFields = []string{"From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-Id"}

// parseContent splits a raw message into its header and parts. What was
// found before an error is returned with it.
func parseContent(data []byte) (content, error) {
	var c content
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return c, fmt.Errorf("read header: %w", err)
	}
	h := textproto.MIMEHeader(msg.Header)
	c.Header, c.Extra = headerFields(h)
	if err := c.walk(h, msg.Body, 0); err != nil {
		return c, err
	}
	return c, nil
}

func headerFields(h textproto.MIMEHeader) (main, extra []field) {
	for _, name := range mainFields {
		for _, v := range h.Values(name) {
			main = append(main, field{name, decodeHeader(v)})
		}
	}
	var rest []string
	for name := range h {
		if !slices.Contains(mainFields, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		for _, v := range h[name] {
			extra = append(extra, field{name, decodeHeader(v)})
		}
	}
	return main, extra
}

// walk goes through one part, recursing into multiparts. The first
// text/plain and text/html parts that are not attachments become the
// bodies; anything else is listed as an attachment.
func (c *content) walk(h textproto.MIMEHeader, body io.Reader, depth int) error {
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		// RFC 2045 section 5.2: the default is text/plain; charset=us-ascii.
		mediaType, params = "text/plain", nil
	}
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))

	if strings.HasPrefix(mediaType, "multipart/") && params["boundary"] != "" && depth < maxDepth {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart keeps Content-Transfer-Encoding for decode to handle.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s part: %w", mediaType, err)
			}
			if err := c.walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}

	r := decode(body, h.Get("Content-Transfer-Encoding"))
	inline := disposition != "attachment"
	switch {
	case mediaType == "text/plain" && inline && c.Text == "":
		b, err := io.ReadAll(r)
		c.Text = toUTF8(b, params["charset"])
		if err != nil {
			return fmt.Errorf("read text/plain part: %w", err)
		}
	case mediaType == "text/html" && inline && c.HTML == "":
		b, err := io.ReadAll(r)
		c.HTML = toUTF8(b, params["charset"])
		if err != nil {
			return fmt.Errorf("read text/html part: %w", err)
		}
	default:
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		n, err := io.Copy(io.Discard, r)
		c.Attachments = append(c.Attachments, attachment{Name: decodeHeader(name), Type: mediaType, Size: n})
		if err != nil {
			return fmt.Errorf("read %s part: %w", mediaType, err)
		}
	}
	return nil
}

// decode undoes a Content-Transfer-Encoding.
func decode(r io.Reader, encoding string) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		// The decoder skips line breaks.
		return base64.NewDecoder(base64.StdEncoding, r)
	}
	return r
}

// toUTF8 converts text in the charsets the standard library knows; other
// charsets are shown as they are, invalid bytes replaced.
func toUTF8(b []byte, charset string) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "l1":
		var sb strings.Builder
		for _, c := range b {
			sb.WriteRune(rune(c))
		}
		return sb.String()
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
