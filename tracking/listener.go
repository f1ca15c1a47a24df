package tracking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/communique/communique/links"
)

// ListenerConfig configures the inbound SMTP listener. Zero limits take
// the defaults below.
type ListenerConfig struct {
	Addr     string // e.g. "0.0.0.0:2525"; ":0" for a free port
	Domain   string // the bounce domain; mail for any other is refused
	Signer   *links.Signer
	Recorder *Recorder
	Logger   *slog.Logger

	MaxBytes          int64         // largest message accepted
	Timeout           time.Duration // longest wait for a client's next command or data
	SessionTimeout    time.Duration // longest a connection may stay open
	MaxConnsPerClient int           // connections at once from one IP address
}

// Defaults of the listener's limits.
const (
	DefaultMaxBytes          = 4 << 20
	DefaultTimeout           = time.Minute
	DefaultSessionTimeout    = 10 * time.Minute
	DefaultMaxConnsPerClient = 10
	maxRecipients            = 20
)

// Listener is the inbound SMTP server that receives bounces, complaints
// and unsubscribe mail for our own addresses on the bounce domain.
type Listener struct {
	cfg    ListenerConfig
	srv    *smtp.Server
	ln     *limitListener
	ctx    context.Context
	cancel context.CancelFunc
	served chan struct{}
	once   sync.Once
}

// NewListener returns a listener for cfg; nothing listens until Start.
func NewListener(cfg ListenerConfig) *Listener {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.MaxConnsPerClient <= 0 {
		cfg.MaxConnsPerClient = DefaultMaxConnsPerClient
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Listener{cfg: cfg}
}

// Start listens and serves in the background until Close.
func (l *Listener) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", l.cfg.Addr)
	if err != nil {
		return fmt.Errorf("bounce listener: listen on %s: %w", l.cfg.Addr, err)
	}
	l.ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.ln = &limitListener{Listener: ln, max: l.cfg.MaxConnsPerClient, life: l.cfg.SessionTimeout,
		perHost: map[string]int{}, log: l.cfg.Logger}
	srv := smtp.NewServer(backend{l})
	srv.Domain = l.cfg.Domain
	srv.MaxMessageBytes = l.cfg.MaxBytes
	srv.MaxRecipients = maxRecipients
	srv.ReadTimeout = l.cfg.Timeout
	srv.WriteTimeout = l.cfg.Timeout
	srv.ErrorLog = smtpLogger{l.cfg.Logger}
	l.srv = srv
	l.served = make(chan struct{})
	go func() {
		defer close(l.served)
		if err := srv.Serve(l.ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, smtp.ErrServerClosed) {
			l.cfg.Logger.Error("bounce listener stopped", "error", err)
		}
	}()
	l.cfg.Logger.Info("bounce listener started", "addr", ln.Addr().String(), "domain", l.cfg.Domain)
	return nil
}

// Addr is the address the listener is bound to, once started.
func (l *Listener) Addr() string {
	if l.ln == nil {
		return ""
	}
	return l.ln.Addr().String()
}

// Close stops accepting, drops open connections and waits for the server
// to end. A message being recorded finishes its transaction or rolls
// back; its sender, unanswered, sends it again. Safe to call twice or
// without Start.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		if l.srv == nil {
			return
		}
		err = l.srv.Close()
		l.cancel()
		<-l.served
		if errors.Is(err, smtp.ErrServerClosed) {
			err = nil
		}
	})
	return err
}

type backend struct{ l *Listener }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{l: b.l, client: c.Conn().RemoteAddr().String()}, nil
}

// session is one connection's mail transaction.
type session struct {
	l      *Listener
	client string
	from   string
	rcpts  []string
	tgts   []Target
}

var (
	errNoSuchAddress = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such address here"}
	errTryLater      = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot take the message now, try again later"}
)

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

// Rcpt takes only our own addresses whose tokens check out, so nobody
// can use the listener to store mail of their choosing.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	t, err := ParseAddress(to, s.l.cfg.Domain, s.l.cfg.Signer)
	if err != nil {
		s.l.cfg.Logger.Info("bounce listener: refused a recipient", "client", s.client, "rcpt", clean(to, 320))
		return errNoSuchAddress
	}
	s.rcpts, s.tgts = append(s.rcpts, to), append(s.tgts, t)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // go-smtp answers 552 for a message over the size limit
	}
	ctx, cancel := context.WithTimeout(s.l.ctx, 30*time.Second)
	defer cancel()
	for i, to := range s.rcpts {
		rec, err := s.l.cfg.Recorder.Record(ctx, Inbound{EnvelopeFrom: s.from, EnvelopeTo: to, Target: s.tgts[i], Raw: raw})
		if err != nil {
			s.l.cfg.Logger.Error("bounce listener: record", "client", s.client, "error", err)
			return errTryLater
		}
		s.l.cfg.Logger.Info("inbound mail", "inbound_id", rec.ID, "kind", rec.Result.Kind, "reason", rec.Result.Reason,
			"delivery_id", rec.DeliveryID, "message_id", rec.MessageID, "contact_id", rec.ContactID, "effect", rec.Effect)
	}
	return nil
}

func (s *session) Reset()        { s.from, s.rcpts, s.tgts = "", nil, nil }
func (s *session) Logout() error { return nil }

type smtpLogger struct{ log *slog.Logger }

func (l smtpLogger) Printf(format string, v ...any) { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l smtpLogger) Println(v ...any)               { l.log.Warn(fmt.Sprint(v...)) }
