package app_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/communique/communique/app"
)

func TestTrustedProxiesSetting(t *testing.T) {
	t.Setenv("COMMUNIQUE_TRUSTED_PROXIES", "192.0.2.0/24")
	var c app.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil || c.TrustedProxies != "192.0.2.0/24" || c.Validate() != nil {
		t.Fatalf("from the environment: %q, %v", c.TrustedProxies, c.Validate())
	}
	if err := fs.Parse([]string{"-trusted-proxies", "10.0.0.0/8, 10.0.0.300/8"}); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `COMMUNIQUE_TRUSTED_PROXIES: "10.0.0.300/8" is not a CIDR`) {
		t.Errorf("a bad CIDR: %v", err)
	}
}
