package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
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
	// ProviderID is the id the relay gave a sent message in its reply
	// ("queued as …"), if it gave one: see ProviderID.
	ProviderID string
}

// Pool hands out connections to one target and enforces its rate limit
// across them.
type Pool struct {
	Target Target
	HELO   string
	// Timeout bounds each exchange with the server; zero means 30 s.
	Timeout time.Duration
	// Observe, when set, is told each message's outcome and time.
	Observe func(status string, d time.Duration)
	limiter *Limiter
}

// NewPool returns a pool for t.
func NewPool(t Target, helo string) *Pool {
	return &Pool{Target: t, HELO: helo, limiter: NewLimiter(t.Rate)}
}

// timeout bounds each SMTP exchange (30 s unless Timeout says otherwise).
func (p *Pool) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return 30 * time.Second
}

// Conn is one SMTP connection, opened on first use, kept open across
// sends and opened again whenever the server drops it; it is not safe for
// concurrent use.
type Conn struct {
	pool       *Pool
	client     *mail.Client // dials, secures and authenticates
	sc         *smtp.Client // the open connection, nil when closed
	out        *flushThrough
	pipelining bool
	chunking   bool
	utf8       bool
	// tcp is the socket of the last dial (except with implicit TLS, which
	// go-mail dials itself): go-mail leaves it open when EHLO, STARTTLS or
	// AUTH fail, and only we can close it.
	tcp net.Conn
	// lastUsed is when the server last answered us: past idleCheck, the
	// connection is checked before it carries a message.
	lastUsed time.Time
}

// Conn returns a new, not yet connected, connection of the pool.
func (p *Pool) Conn() *Conn { return &Conn{pool: p} }

// newClient configures the go-mail client for the target.
func (c *Conn) newClient() error {
	t := c.pool.Target
	opts := []mail.Option{
		mail.WithPort(t.Port),
		mail.WithTimeout(c.pool.timeout()),
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
	if t.TLS != "tls" {
		opts = append(opts, mail.WithDialContextFunc(c.dialTCP))
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

// dialTCP dials for go-mail, keeping the socket so that a dial that fails
// half-way can be closed.
func (c *Conn) dialTCP(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	c.tcp = conn
	return conn, err
}

// Close closes the connection; safe to call more than once.
func (c *Conn) Close() {
	if c.sc != nil {
		c.sc.Close()
		c.sc = nil
	}
	if c.tcp != nil {
		c.tcp.Close()
		c.tcp = nil
	}
}
