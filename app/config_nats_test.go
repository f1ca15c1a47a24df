package app

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateNATSSettings(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "user.nk")
	if err := os.WriteFile(seed, []byte("SUAseed-contents-never-shown"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := Config{Dev: true, API: true}
	for _, tc := range []struct {
		name string
		set  func(*Config)
		want string // part of the error, or "" for none
	}{
		{"defaults", func(*Config) {}, ""},
		{"three replicas", func(c *Config) { c.StreamReplicas = "3" }, ""},
		{"zero replicas", func(c *Config) { c.StreamReplicas = "0" }, `COMMUNIQUE_STREAM_REPLICAS "0": want a whole number from 1 to 5`},
		{"six replicas", func(c *Config) { c.StreamReplicas = "6" }, "COMMUNIQUE_STREAM_REPLICAS"},
		{"words", func(c *Config) { c.StreamReplicas = "three" }, `COMMUNIQUE_STREAM_REPLICAS "three"`},
		{"creds file", func(c *Config) { c.NATSCreds = seed }, ""},
		{"missing creds", func(c *Config) { c.NATSCreds = seed + "x" }, "COMMUNIQUE_NATS_CREDS \"" + seed + "x\": no such file"},
		{"missing CA", func(c *Config) { c.NATSCAFile = filepath.Join(dir, "ca.pem") }, "COMMUNIQUE_NATS_CA_FILE"},
		{"cert without key", func(c *Config) { c.NATSCertFile = seed }, "COMMUNIQUE_NATS_CERT_FILE and COMMUNIQUE_NATS_KEY_FILE go together"},
		{"missing key", func(c *Config) { c.NATSCertFile, c.NATSKeyFile = seed, seed+".key" }, "COMMUNIQUE_NATS_KEY_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.set(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "never-shown"):
				t.Fatalf("the error shows the file's contents: %v", err)
			}
		})
	}
}

func TestReplicasDefaultAndFlags(t *testing.T) {
	t.Setenv("COMMUNIQUE_STREAM_REPLICAS", "")
	os.Unsetenv("COMMUNIQUE_STREAM_REPLICAS")
	t.Setenv("COMMUNIQUE_NATS_CREDS", "/etc/communique/nats.creds")
	var c Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-nats-ca-file", "/etc/communique/ca.pem"}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Replicas(); n != 1 || err != nil {
		t.Errorf("default replicas: %d, %v", n, err)
	}
	sec := c.NATSSecurity()
	if sec.CredsFile != "/etc/communique/nats.creds" || sec.CAFile != "/etc/communique/ca.pem" {
		t.Errorf("security from environment and flags: %+v", sec)
	}
}
