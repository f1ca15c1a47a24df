package events_test

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
)

const (
	testUser     = "dispatch"
	testPassword = "pw-7c1f0e9b-not-for-errors"
)

// secureServer starts a NATS server that speaks only TLS with a
// certificate from ca and knows one user/password and one NKey user. It
// returns its host:port.
func secureServer(t *testing.T, tlsCfg *tls.Config, nkeyPub string) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host:       "127.0.0.1",
		Port:       -1,
		NoSigs:     true,
		NoLog:      true,
		TLS:        true,
		TLSVerify:  tlsCfg.ClientAuth == tls.RequireAndVerifyClientCert,
		TLSConfig:  tlsCfg,
		TLSTimeout: 2,
		Users:      []*server.User{{Username: testUser, Password: testPassword}},
		Nkeys:      []*server.NkeyUser{{Nkey: nkeyPub}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("secure NATS server did not start")
	}
	return ns.Addr().String()
}

// nkeySeedFile makes an NKey user and writes its seed to a file.
func nkeySeedFile(t *testing.T) (pub, file string, seed []byte) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ = kp.PublicKey()
	seed, _ = kp.Seed()
	file = filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(file, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return pub, file, seed
}

// roundTrip proves a connection works: a message published comes back.
func roundTrip(t *testing.T, urls string, sec events.Security) {
	t.Helper()
	nc, err := events.ConnectSecure(urls, "test", sec)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	if !nc.TLSRequired() {
		t.Error("connection is not TLS")
	}
	sub, err := nc.SubscribeSync("ping")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("ping", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if string(msg.Data) != "hello" {
		t.Fatalf("round trip: got %q", msg.Data)
	}
}

func TestConnectTLSWithPasswordAndNKey(t *testing.T) {
	ca := natstest.NewCA(t, "nats")
	pub, seedFile, _ := nkeySeedFile(t)
	addr := secureServer(t, ca.ServerTLS(t, nil), pub)

	t.Run("password in tls URL", func(t *testing.T) {
		roundTrip(t, fmt.Sprintf("tls://%s:%s@%s", testUser, testPassword, addr), events.Security{CAFile: ca.File})
	})
	t.Run("NKey seed file", func(t *testing.T) {
		roundTrip(t, "tls://"+addr, events.Security{CAFile: ca.File, CredsFile: seedFile})
	})
	t.Run("nats URL with a CA still speaks TLS", func(t *testing.T) {
		roundTrip(t, "nats://"+addr, events.Security{CAFile: ca.File, CredsFile: seedFile})
	})
}

func TestConnectClientCertificate(t *testing.T) {
	ca, clients := natstest.NewCA(t, "nats"), natstest.NewCA(t, "clients")
	pub, seedFile, _ := nkeySeedFile(t)
	addr := secureServer(t, ca.ServerTLS(t, clients), pub)
	cert, key := clients.Issue(t, "communique")
	roundTrip(t, "tls://"+addr, events.Security{CAFile: ca.File, CredsFile: seedFile, CertFile: cert, KeyFile: key})

	// Without a certificate the server hangs up during the handshake.
	if nc, err := events.ConnectSecure("tls://"+addr, "test", events.Security{CAFile: ca.File, CredsFile: seedFile}); err == nil {
		nc.Close()
		t.Fatal("connected without a client certificate")
	}
	// A certificate without its key is refused before dialling.
	_, err := events.ConnectSecure("tls://"+addr, "test", events.Security{CAFile: ca.File, CertFile: cert})
	if err == nil || !strings.Contains(err.Error(), "client certificate") {
		t.Fatalf("certificate without key: %v", err)
	}
}

// TestConnectRefusals checks that each wrong credential or CA fails with
// an error that says what is wrong and shows no secret.
func TestConnectRefusals(t *testing.T) {
	ca := natstest.NewCA(t, "nats")
	pub, seedFile, _ := nkeySeedFile(t)
	addr := secureServer(t, ca.ServerTLS(t, nil), pub)
	_, strangerFile, strangerSeed := nkeySeedFile(t)
	notASeed := filepath.Join(t.TempDir(), "garbage.creds")
	if err := os.WriteFile(notASeed, []byte("SU-this-is-not-a-seed-"+testPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, urls string
		sec        events.Security
		want       string
	}{
		{"wrong password", fmt.Sprintf("tls://%s:%s-wrong@%s", testUser, testPassword, addr), events.Security{CAFile: ca.File}, "authorization violation"},
		{"unknown NKey", "tls://" + addr, events.Security{CAFile: ca.File, CredsFile: strangerFile}, "authorization violation"},
		{"no credentials", "tls://" + addr, events.Security{CAFile: ca.File}, "authorization violation"},
		{"wrong CA", fmt.Sprintf("tls://%s:%s@%s", testUser, testPassword, addr), events.Security{CAFile: natstest.NewCA(t, "other").File}, "certificate"},
		{"system CAs only", fmt.Sprintf("tls://%s:%s@%s", testUser, testPassword, addr), events.Security{}, "certificate"},
		{"missing creds file", "tls://" + addr, events.Security{CAFile: ca.File, CredsFile: seedFile + ".missing"}, "no such file"},
		{"creds file of garbage", "tls://" + addr, events.Security{CAFile: ca.File, CredsFile: notASeed}, "neither a creds file nor an NKey user seed"},
		{"missing CA file", "tls://" + addr, events.Security{CAFile: ca.File + ".missing"}, "rootCA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := events.ConnectSecure(tc.urls, "test", tc.sec)
			if err == nil {
				nc.Close()
				t.Fatal("connected")
			}
			msg := err.Error()
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			if !strings.Contains(msg, "127.0.0.1") && strings.HasPrefix(msg, "connect") {
				t.Errorf("error %q does not name the server", msg)
			}
			for _, secret := range []string{testPassword, string(seed), string(strangerSeed)} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q shows a secret", msg)
				}
			}
		})
	}
}
