package events

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
)

// Security is how the service proves itself to NATS and checks the
// server in turn; the zero value is a plain connection, with any
// user/password or token taken from the URLs.
type Security struct {
	// CredsFile is a creds file (a user JWT and its NKey seed, as nsc
	// writes them) or a file holding only an NKey user seed.
	CredsFile string
	// CAFile holds the PEM certificates that sign the servers' TLS
	// certificates; setting it turns TLS on.
	CAFile string
	// CertFile and KeyFile are a client certificate for servers that
	// verify clients; set both or neither.
	CertFile, KeyFile string
}

// options turns s into nats.go options. File contents stay out of errors,
// since a seed is a private key.
func (s Security) options() ([]nats.Option, error) {
	var opts []nats.Option
	if s.CredsFile != "" {
		data, err := os.ReadFile(s.CredsFile)
		if err != nil {
			return nil, fmt.Errorf("NATS credentials: %w", err)
		}
		hasJWT := bytes.Contains(data, []byte("BEGIN NATS USER JWT"))
		clear(data)
		if hasJWT {
			opts = append(opts, nats.UserCredentials(s.CredsFile))
		} else {
			o, err := nats.NkeyOptionFromSeed(s.CredsFile)
			if err != nil {
				return nil, fmt.Errorf("NATS credentials %s: neither a creds file nor an NKey user seed", s.CredsFile)
			}
			opts = append(opts, o)
		}
	}
	if s.CAFile != "" {
		opts = append(opts, nats.RootCAs(s.CAFile))
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, fmt.Errorf("NATS client certificate: set both the certificate and the key file, or neither")
	}
	if s.CertFile != "" {
		opts = append(opts, nats.ClientCert(s.CertFile, s.KeyFile))
	}
	return opts, nil
}

// Connect dials the comma-separated NATS URLs with reconnects that never
// give up, so a restarted server is picked up again.
func Connect(urls, name string) (*nats.Conn, error) {
	return ConnectSecure(urls, name, Security{})
}

// ConnectSecure is Connect with credentials and TLS settings beyond what
// the URLs carry.
func ConnectSecure(urls, name string, sec Security) (*nats.Conn, error) {
	opts, err := sec.options()
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(false),
	)
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", redactURLs(urls), err)
	}
	return nc, nil
}
