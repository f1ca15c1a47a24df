package links

import (
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	s := NewSigner("secret")
	now := time.Now()
	tok := s.Token("unsubscribe", 42, time.Time{})
	if id, err := s.Verify("unsubscribe", tok, now.Add(100*365*24*time.Hour)); err != nil || id != 42 {
		t.Fatalf("Verify = %d, %v", id, err)
	}
	if _, err := s.Verify("confirm", tok, now); err == nil {
		t.Fatal("token accepted for another purpose")
	}
	if _, err := NewSigner("other").Verify("unsubscribe", tok, now); err == nil {
		t.Fatal("token accepted under another secret")
	}
	exp := s.Token("confirm", 7, now.Add(time.Hour))
	if _, err := s.Verify("confirm", exp, now); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	if _, err := s.Verify("confirm", exp, now.Add(2*time.Hour)); err == nil {
		t.Fatal("expired token accepted")
	}
	for _, bad := range []string{"", "x", tok[:len(tok)-1], tok + "A"} {
		if _, err := s.Verify("unsubscribe", bad, now); err == nil {
			t.Fatalf("malformed token %q accepted", bad)
		}
	}
}

// Every message sent carries two or three tokens.
func BenchmarkToken(b *testing.B) {
	s := NewSigner("a secret of some length")
	for i := range b.N {
		s.Token("unsubscribe", int64(i), time.Time{})
	}
}
