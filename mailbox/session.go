package mailbox

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	maxMessageBytes = 10 << 20
	maxRecipients   = 1000
	// RFC 5321 section 4.5.3.2.7 asks servers to wait at least five
	// minutes for the next command.
	readTimeout     = 5 * time.Minute
	writeTimeout    = time.Minute
	shutdownTimeout = 5 * time.Second
)

func newSMTPServer(s *Server) *smtp.Server {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = maxRecipients
	srv.ReadTimeout = s.idle
	srv.WriteTimeout = writeTimeout
	srv.EnableSMTPUTF8 = s.smtputf8
	srv.ErrorLog = smtpLogger{s.logger}
	return srv
}

// backend starts one session per SMTP connection.
type backend struct{ s *Server }

var _ smtp.Backend = backend{}

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

// session holds the envelope of the message being received on one
// connection; go-smtp calls its methods from that connection's goroutine only.
type session struct {
	s    *Server
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	se.to = nil
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if reject := se.s.rejecter(); reject != nil {
		// Compare the pointer, not the interface, so a nil *SMTPError accepts.
		if err := reject(se.from, to); err != nil {
			return err
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	// go-smtp stops the reader at MaxMessageBytes with a 552 *SMTPError,
	// which goes back to the client as is.
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.add(se.from, slices.Clone(se.to), data)
	return nil
}

func (se *session) Reset() {
	se.from = ""
	se.to = nil
}

func (se *session) Logout() error { return nil }

// AuthMechanisms lists the mechanisms common clients use; every credential
// is accepted.
func (se *session) AuthMechanisms() []string {
	return []string{sasl.Plain, sasl.Login, cramMD5}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
	case sasl.Login:
		return &acceptAll{challenges: []string{"Username:", "Password:"}}, nil
	case cramMD5:
		return &acceptAll{challenges: []string{fmt.Sprintf("<%d@localhost>", time.Now().UnixNano())}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// smtpLogger passes go-smtp's connection errors to slog.
type smtpLogger struct{ l *slog.Logger }

func (l smtpLogger) Printf(format string, v ...any) {
	l.l.Warn("mailbox: " + fmt.Sprintf(format, v...))
}

func (l smtpLogger) Println(v ...any) {
	l.l.Warn("mailbox: " + fmt.Sprint(v...))
}
