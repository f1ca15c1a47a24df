package events_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/communique/communique/events"
)

// operatorServer starts a NATS server in operator mode, the way nsc-managed
// deployments run, trusting one account. It returns its URL and a signer
// of users of that account.
func operatorServer(t *testing.T) (url string, account nkeys.KeyPair) {
	t.Helper()
	op, _ := nkeys.CreateOperator()
	opPub, _ := op.PublicKey()
	opJWT, err := jwt.NewOperatorClaims(opPub).Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	opClaims, err := jwt.DecodeOperatorClaims(opJWT)
	if err != nil {
		t.Fatal(err)
	}
	account, _ = nkeys.CreateAccount()
	accPub, _ := account.PublicKey()
	accJWT, err := jwt.NewAccountClaims(accPub).Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	if err := resolver.Store(accPub, accJWT); err != nil {
		t.Fatal(err)
	}
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true,
		TrustedOperators: []*jwt.OperatorClaims{opClaims},
		AccountResolver:  resolver,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("operator-mode NATS server did not start")
	}
	return ns.ClientURL(), account
}

// credsFile writes a creds file for a new user signed by signer.
func credsFile(t *testing.T, signer nkeys.KeyPair) (file string, seed []byte) {
	t.Helper()
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ = user.Seed()
	userJWT, err := jwt.NewUserClaims(pub).Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "user.creds")
	if err := os.WriteFile(file, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, seed
}

func TestConnectWithCredsFile(t *testing.T) {
	url, account := operatorServer(t)
	good, _ := credsFile(t, account)
	nc, err := events.ConnectSecure(url, "test", events.Security{CredsFile: good})
	if err != nil {
		t.Fatalf("connect with a creds file: %v", err)
	}
	if err := nc.Publish("ping", nil); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	nc.Close()

	// A user signed by an account the server does not trust is refused,
	// and the error shows neither the seed nor the JWT.
	stranger, _ := nkeys.CreateAccount()
	bad, seed := credsFile(t, stranger)
	contents, _ := os.ReadFile(bad)
	nc, err = events.ConnectSecure(url, "test", events.Security{CredsFile: bad})
	if err == nil {
		nc.Close()
		t.Fatal("connected with an untrusted user")
	}
	msg := err.Error()
	if !strings.Contains(strings.ToLower(msg), "authorization violation") {
		t.Errorf("error %q does not say the credentials were refused", msg)
	}
	lines := strings.Split(string(contents), "\n")
	if strings.Contains(msg, string(seed)) || strings.Contains(msg, lines[1]) {
		t.Errorf("error %q shows the creds file", msg)
	}
}
