package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Outcome statuses, as recorded on deliveries.
const (
	Sent     = "sent"
	Deferred = "deferred"
	Failed   = "failed"
	// Bounced is a permanent refusal of the address itself (no such
	// mailbox): the address is suppressed for every later release.
	Bounced = "bounced"
	// Unsent marks a message that was not attempted (connection lost
	// before it, or shutting down): it goes back to the queue as it was.
	Unsent = "unsent"
)

// Result is the outcome of one message.
type Result struct {
	Status   string
	Code     int    // SMTP reply code, 0 when the server never answered
	Enhanced string // RFC 3463 enhanced status code, e.g. "5.1.1", if given
	Reply    string // the server's reply or the error
}

// Pool hands out connections to one target and enforces its rate limit
// across them.
type Pool struct {
	Target  Target
	HELO    string
	limiter *Limiter
}

// NewPool returns a pool for t.
func NewPool(t Target, helo string) *Pool {
	return &Pool{Target: t, HELO: helo, limiter: NewLimiter(t.Rate)}
}

// Conn is one SMTP connection, opened on first use and kept open across
// sends; it is not safe for concurrent use.
type Conn struct {
	pool   *Pool
	client *mail.Client
	open   bool // client holds a connection (Send)

	// The raw path (SendRaw) drives go-mail's SMTP client itself.
	sc         *smtp.Client
	pipelining bool
	utf8       bool
}

// Conn returns a new, not yet connected, connection of the pool.
func (p *Pool) Conn() *Conn { return &Conn{pool: p} }

func (c *Conn) dial(ctx context.Context) error {
	if c.client == nil {
		if err := c.newClient(); err != nil {
			return err
		}
	}
	if err := c.client.DialWithContext(ctx); err != nil {
		return fmt.Errorf("connect to %s: %w", c.pool.Target, err)
	}
	c.open = true
	return nil
}

// newClient configures the go-mail client for the target.
func (c *Conn) newClient() error {
	t := c.pool.Target
	opts := []mail.Option{
		mail.WithPort(t.Port),
		mail.WithTimeout(30 * time.Second),
		// A NOOP before each send only proves the connection is alive, and
		// an RSET after each delivered message resets what DATA has already
		// ended; a failed send shows a dead connection at no round trip,
		// and go-mail still resets after a refused MAIL or RCPT.
		mail.WithoutNoop(),
		mail.WithoutRset(),
	}
	if c.pool.HELO != "" {
		opts = append(opts, mail.WithHELO(c.pool.HELO))
	}
	switch t.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPortPolicy(mail.NoTLS))
	case "tls":
		opts = append(opts, mail.WithSSLPort(false))
	default:
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSMandatory))
	}
	if t.TLS != "none" {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{ServerName: t.Host, MinVersion: tls.VersionTLS12}))
	}
	if t.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(t.Username), mail.WithPassword(t.Password))
	}
	client, err := mail.NewClient(t.Host, opts...)
	if err != nil {
		return fmt.Errorf("SMTP client for %s: %w", t, err)
	}
	c.client = client
	return nil
}

// Send sends msgs in order over the connection, dialling first if needed,
// and returns one Result per message. A connection that fails is closed and
// re-dialled on the next Send; its unsent messages are deferred, never lost.
func (c *Conn) Send(ctx context.Context, msgs []*mail.Msg) []Result {
	results := make([]Result, len(msgs))
	if ctx.Err() != nil {
		for i := range results {
			results[i] = Result{Status: Unsent, Reply: "not attempted: " + ctx.Err().Error()}
		}
		return results
	}
	if !c.open {
		if err := c.dial(ctx); err != nil {
			for i := range results {
				results[i] = Result{Status: Deferred, Reply: err.Error()}
			}
			return results
		}
	}
	broken := false
	for i, m := range msgs {
		if broken || ctx.Err() != nil {
			results[i] = Result{Status: Unsent, Reply: "not attempted: connection lost or shutting down"}
			continue
		}
		if err := c.pool.limiter.Wait(ctx); err != nil {
			results[i] = Result{Status: Unsent, Reply: "not attempted: " + err.Error()}
			continue
		}
		err := c.client.Send(m)
		results[i] = outcome(m, err)
		if results[i].Code == 0 && results[i].Status != Sent {
			broken = true
		}
	}
	if broken {
		c.Close()
	}
	return results
}

func outcome(m *mail.Msg, err error) Result {
	if m.IsDelivered() {
		return Result{Status: Sent, Code: 250, Reply: strings.TrimSpace(m.ServerResponse())}
	}
	if err == nil {
		err = m.SendError()
	}
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() > 0 {
		code, enh := se.ErrorCode(), se.EnhancedStatusCode()
		return Result{Status: classify(code, enh), Code: code, Enhanced: enh, Reply: replyText(se)}
	}
	// No SMTP code: the connection broke or timed out.
	return Result{Status: Deferred, Reply: fmt.Sprint(err)}
}

// classify maps an SMTP refusal to a delivery status: 4xx is temporary;
// a 5xx about the mailbox itself (5.1.x bad address, 5.2.1 disabled, or
// without enhanced codes 550, 551 and 553) is a hard bounce; any other
// 5xx fails this message only.
func classify(code int, enhanced string) string {
	switch {
	case code < 500:
		return Deferred
	case strings.HasPrefix(enhanced, "5.1.") || enhanced == "5.2.1":
		return Bounced
	case enhanced == "" && (code == 550 || code == 551 || code == 553):
		return Bounced
	default:
		return Failed
	}
}

func replyText(se *mail.SendError) string {
	s := se.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// Close closes the connection; safe to call more than once.
func (c *Conn) Close() {
	if c.client != nil && c.open {
		c.client.Close()
	}
	c.open = false
	if c.sc != nil {
		c.sc.Close()
		c.sc = nil
	}
}

// SendOne sends a single message over a connection of its own, for the
// occasional transactional message; it returns an error unless the server
// accepted it.
func (p *Pool) SendOne(ctx context.Context, m *Message) error {
	msg, err := Build(m)
	if err != nil {
		return err
	}
	c := p.Conn()
	defer c.Close()
	r := c.Send(ctx, []*mail.Msg{msg})[0]
	if r.Status != Sent {
		return fmt.Errorf("send to %s: %s %s", m.ToEmail, r.Status, r.Reply)
	}
	return nil
}
