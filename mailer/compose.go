package mailer

import (
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Message is everything needed to build one e-mail.
type Message struct {
	FromName, FromEmail string
	ToName, ToEmail     string
	ReplyTo             string
	ReturnPath          string // envelope sender (VERP)
	MessageID           string // without angle brackets
	ListID              string // e.g. "Media Office releases <releases.example.org>"
	Language            string
	// UnsubscribeHTTPS and UnsubscribeMailto make the List-Unsubscribe
	// headers (RFC 8058 one-click); empty for contacts who cannot unsubscribe.
	UnsubscribeHTTPS, UnsubscribeMailto string
	Subject, Text, HTML                 string
	Date                                time.Time
}

// Build returns the go-mail message for m. Every header value passes
// through go-mail's encoders; names and subjects lose control characters
// first, so no field can add a header or a recipient.
func Build(m *Message) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(clean(m.FromName), m.FromEmail); err != nil {
		return nil, fmt.Errorf("from %q: %w", m.FromEmail, err)
	}
	if err := msg.AddToFormat(clean(m.ToName), m.ToEmail); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.ToEmail, err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to %q: %w", m.ReplyTo, err)
		}
	}
	if m.ReturnPath != "" {
		if err := msg.EnvelopeFrom(m.ReturnPath); err != nil {
			return nil, fmt.Errorf("return path %q: %w", m.ReturnPath, err)
		}
	}
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.Date)
	msg.Subject(clean(m.Subject))
	msg.SetGenHeader(mail.HeaderContentLang, m.Language)
	msg.SetGenHeader("List-Id", clean(m.ListID))
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(mail.HeaderPrecedence, "bulk")
	if m.UnsubscribeHTTPS != "" {
		// Set as is rather than through SetListUnsubscribeOneClick, which
		// refuses the http:// links of a development setup. Both URIs are
		// built by the service from a validated base URL and a base64url
		// token, so neither can carry a line break.
		uris := []string{clean(m.UnsubscribeHTTPS)}
		if m.UnsubscribeMailto != "" {
			uris = append(uris, clean(m.UnsubscribeMailto))
		}
		msg.SetListUnsubscribe(uris...)
		msg.SetListUnsubscribePost()
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}

// clean drops control characters (CR and LF above all) from a header value.
func clean(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}
