package app_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/communique/communique/app"
	"github.com/communique/communique/events/natstest"
)

// With a key configured, every message of a release carries a DKIM
// signature that a receiver's verifier accepts.
func TestDKIMSignsEveryMessage(t *testing.T) {
	t.Parallel()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "dkim.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	b := setup(t, natstest.Embedded(t), func(c *app.Config) {
		c.DKIMKeyFile, c.DKIMSelector = keyFile, "mail2026"
	})
	seedTopics(t, b)
	b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(contactsCSV), nil)
	id := b.create(releaseJSON)
	b.change(id, "publish", "")
	waitCount(t, b.smtp, len(expected))
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	for _, m := range b.smtp.Messages() {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{
			LookupTXT: func(domain string) ([]string, error) {
				if domain != "mail2026._domainkey.example.org" {
					return nil, fmt.Errorf("unexpected lookup %s", domain)
				}
				return []string{record}, nil
			},
		})
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Fatalf("message to %v: verification %v %+v", m.To, err, vs)
		}
	}
}
