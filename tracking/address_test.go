package tracking

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/communique/communique/links"
)

func TestParseAddress(t *testing.T) {
	s := links.NewSigner("a secret for the tests, 32 bytes long")
	const dom = "bounce.example.org"
	del := fmt.Sprintf("bounce+42-%s@%s", s.Token("bounce", 42, time.Time{}), dom)
	msg := fmt.Sprintf("bounce+m42-%s@%s", s.Token("bounce-message", 42, time.Time{}), dom)
	uns := fmt.Sprintf("unsubscribe+%s@%s", s.Token("unsubscribe", 7, time.Time{}), dom)
	if got := DeliveryReturnPath(42, dom, s); got != del {
		t.Errorf("DeliveryReturnPath = %q, want %q", got, del)
	}
	if got := MessageReturnPath(42, dom, s); got != msg {
		t.Errorf("MessageReturnPath = %q, want %q", got, msg)
	}
	good := []struct {
		addr string
		want Target
	}{
		{del, Target{TargetDelivery, 42}},
		{"<" + msg + ">", Target{TargetMessage, 42}},
		{uns, Target{TargetContact, 7}},
		{"Bounce+42-" + s.Token("bounce", 42, time.Time{}) + "@BOUNCE.example.org", Target{TargetDelivery, 42}},
	}
	for _, g := range good {
		if got, err := ParseAddress(g.addr, dom, s); err != nil || got != g.want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v", g.addr, got, err, g.want)
		}
	}
	bad := []string{
		"postmaster@" + dom,
		fmt.Sprintf("bounce+43-%s@%s", s.Token("bounce", 42, time.Time{}), dom),         // id and token disagree
		fmt.Sprintf("bounce+m42-%s@%s", s.Token("bounce", 42, time.Time{}), dom),        // a delivery's token for a message
		fmt.Sprintf("bounce+42-%s@%s", s.Token("bounce-message", 42, time.Time{}), dom), // and the other way round
		fmt.Sprintf("unsubscribe+%s@%s", s.Token("bounce", 7, time.Time{}), dom),
		fmt.Sprintf("bounce+42-%s@other.example.org", s.Token("bounce", 42, time.Time{})),
		fmt.Sprintf("bounce+42-%s@%s", links.NewSigner("another secret, also 32 bytes long").Token("bounce", 42, time.Time{}), dom),
		"bounce+-x@" + dom, "bounce+42@" + dom, "unsubscribe+@" + dom, "", "@", "bounce+m-x@" + dom,
	}
	for _, b := range bad {
		if got, err := ParseAddress(b, dom, s); !errors.Is(err, ErrNotOurs) {
			t.Errorf("ParseAddress(%q) = %+v, %v; want ErrNotOurs", b, got, err)
		}
	}
}

// The Message-ID the dispatcher writes is one a provider's event is
// matched by, in angle brackets or not.
func TestDeliveryMessageID(t *testing.T) {
	id := DeliveryMessageID(42, 7, "example.org")
	if id != "delivery-42.release-7@example.org" {
		t.Fatalf("DeliveryMessageID = %q", id)
	}
	for _, s := range []string{id, "<" + id + ">"} {
		if m := ourMessageID.FindStringSubmatch(s); m == nil || m[1] != "42" || m[2] != "7" {
			t.Errorf("%q read back as %q", s, m)
		}
	}
}
