package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-msgauth/dkim"
)

// dkimHeaders are the fields signed: those a receiver shows or acts on,
// the List-Unsubscribe pair above all, so that nobody can add one-click
// unsubscription to, or strip it from, a message in transit. Each is
// listed once more than it occurs, which also signs its absence (RFC 6376
// section 5.4.2): a field added later breaks the signature.
var dkimHeaders = []string{
	"From", "From", "To", "To", "Subject", "Subject", "Date", "Date", "Message-ID", "Message-ID",
	"Reply-To", "Reply-To", "List-Id", "List-Id", "List-Unsubscribe", "List-Unsubscribe",
	"List-Unsubscribe-Post", "List-Unsubscribe-Post", "MIME-Version", "Content-Type",
	"Content-Language", "Auto-Submitted",
}

// DKIM signs messages for a domain. go-msgauth is used rather than
// go-mail's built-in signer, whose relaxed canonicalization folds a long
// h= list mid-name and breaks the signature.
type DKIM struct {
	opts dkim.SignOptions
}

// LoadDKIM reads a PEM private key (RSA, PKCS #1 or #8, or Ed25519, PKCS
// #8) for domain and selector.
func LoadDKIM(keyFile, selector, domain string) (*DKIM, error) {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("DKIM key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("DKIM key %s: no PEM block", keyFile)
	}
	var signer crypto.Signer
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("DKIM key %s: %w", keyFile, err)
		}
		signer = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("DKIM key %s: %w", keyFile, err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			signer = k
		case ed25519.PrivateKey:
			signer = k
		default:
			return nil, fmt.Errorf("DKIM key %s: %T is neither RSA nor Ed25519", keyFile, k)
		}
	default:
		return nil, fmt.Errorf("DKIM key %s: PEM type %q, want a private key", keyFile, block.Type)
	}
	if k, ok := signer.(*rsa.PrivateKey); ok && k.N.BitLen() < 1024 {
		return nil, fmt.Errorf("DKIM key %s: RSA keys need 1024 bits at least, 2048 recommended", keyFile)
	}
	return NewDKIM(signer, selector, domain), nil
}

// NewDKIM returns a signer using key.
func NewDKIM(key crypto.Signer, selector, domain string) *DKIM {
	return &DKIM{opts: dkim.SignOptions{
		Domain: domain, Selector: selector, Signer: guarded{key}, Hash: crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             dkimHeaders,
	}}
}

// Sign returns msg with a DKIM-Signature header in front, appended to dst.
func (d *DKIM) Sign(dst, msg []byte) ([]byte, error) {
	if d == nil {
		return append(dst, msg...), nil
	}
	opts := d.opts
	s, err := dkim.NewSigner(&opts)
	if err != nil {
		return dst, err
	}
	if _, err := s.Write(msg); err != nil {
		s.Close()
		return dst, err
	}
	if err := s.Close(); err != nil {
		return dst, fmt.Errorf("DKIM sign: %w", err)
	}
	buf := bytes.NewBuffer(dst)
	buf.WriteString(s.Signature())
	buf.Write(msg)
	return buf.Bytes(), nil
}

// guarded turns a panic of the key (a hardware or remote signer gone
// wrong) into an error: go-msgauth signs in a goroutine of its own, where
// no recover of the caller's can catch it, and the process would die.
type guarded struct{ crypto.Signer }

func (g guarded) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) (sig []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("DKIM key failed: %v", p)
		}
	}()
	return g.Signer.Sign(rand, digest, opts)
}
