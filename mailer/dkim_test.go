package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

func TestDKIMSignaturesVerify(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
		return p
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	for _, c := range []struct {
		name, file, record string
	}{
		{"rsa", write("rsa.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub)},
		{"ed25519", write("ed.pem", "PRIVATE KEY", pkcs8), "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edKey.Public().(ed25519.PublicKey))},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := LoadDKIM(c.file, "sel", "example.org")
			if err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			m, _ := Build(&Message{
				FromName: "Media Office", FromEmail: "media@example.org", ToName: "Awa", ToEmail: "awa@example.com",
				MessageID: "x@example.org", ListID: "Media <releases.example.org>", Language: "fr",
				UnsubscribeHTTPS:  "https://news.example.org/unsubscribe/" + strings.Repeat("t", 60),
				UnsubscribeMailto: "mailto:unsubscribe+" + strings.Repeat("t", 60) + "@example.org",
				Subject:           "Accord signé", Text: "texte", HTML: "<p>texte</p>", Date: time.Now(),
			})
			m.WriteTo(&raw)
			signed, err := d.Sign(nil, raw.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			verify := func(msg []byte) error {
				vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{
					LookupTXT: func(domain string) ([]string, error) { return []string{c.record}, nil },
				})
				if err != nil {
					return err
				}
				if len(vs) != 1 {
					t.Fatalf("%d signatures", len(vs))
				}
				return vs[0].Err
			}
			if err := verify(signed); err != nil {
				t.Fatalf("signature does not verify: %v", err)
			}
			sig := string(signed[:bytes.Index(signed, []byte("\r\n\r\n"))])
			if !strings.Contains(strings.ToLower(sig), "list-unsubscribe-post") {
				t.Fatal("List-Unsubscribe-Post is not signed")
			}
			// A List-Unsubscribe added in transit breaks the signature.
			tampered := bytes.Replace(signed, []byte("\r\nSubject:"), []byte("\r\nList-Unsubscribe: <https://evil.example.net/>\r\nSubject:"), 1)
			if err := verify(tampered); err == nil {
				t.Fatal("an added List-Unsubscribe still verifies")
			}
		})
	}
	if _, err := LoadDKIM(filepath.Join(dir, "missing.pem"), "s", "example.org"); err == nil {
		t.Fatal("missing key file accepted")
	}
	bad := write("bad.pem", "CERTIFICATE", []byte("x"))
	if _, err := LoadDKIM(bad, "s", "example.org"); err == nil || !strings.Contains(err.Error(), "CERTIFICATE") {
		t.Fatalf("certificate as key: %v", err)
	}
}

func BenchmarkDKIMSign(b *testing.B) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	d := NewDKIM(edKey, "sel", "example.org")
	msg := bytes.Repeat([]byte("Subject: x\r\nFrom: a@example.org\r\n\r\n"+strings.Repeat("body line\r\n", 600)), 1)
	var dst []byte
	for i := 0; i < b.N; i++ {
		dst, _ = d.Sign(dst[:0], msg)
	}
}

// panickingKey is a signing key that panics, like a remote signer gone
// wrong.
type panickingKey struct{ ed25519.PrivateKey }

func (panickingKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	panic("signer unreachable")
}

// go-msgauth signs in a goroutine of its own, where a panicking key would
// take the process down with it: the panic becomes an error instead.
func TestDKIMKeyPanicIsAnError(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d := NewDKIM(panickingKey{key}, "sel", "example.org")
	_, err := d.Sign(nil, []byte("From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"))
	if err == nil || !strings.Contains(err.Error(), "signer unreachable") {
		t.Fatalf("Sign: %v", err)
	}
}
