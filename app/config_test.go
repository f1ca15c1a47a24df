package app

import (
	"strings"
	"testing"
)

func TestValidateRefusesShortSecrets(t *testing.T) {
	long := strings.Repeat("k", 32)
	base := Config{SMTPURL: "smtp://127.0.0.1:25", From: "Media Office <media@example.org>", API: true, Dispatcher: true}
	for _, tc := range []struct {
		name          string
		secret, token string
		want          string // part of the error, or "" for none
	}{
		{"no secret", "", "", "COMMUNIQUE_SECRET (-secret) is required"},
		{"one byte", "#", "", "COMMUNIQUE_SECRET (-secret) is 1 bytes long; it must be at least 32"},
		{"31 bytes", long[:31], "", "at least 32"},
		{"32 bytes", long, "", ""},
		{"short token", long, "fourteen-chars", "COMMUNIQUE_ADMIN_TOKEN (-admin-token) is 14 characters long"},
		{"long token", long, long, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Secret, c.AdminToken = tc.secret, tc.token
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			case err != nil && (tc.secret != "" && strings.Contains(err.Error(), tc.secret) || tc.token != "" && strings.Contains(err.Error(), tc.token)):
				t.Fatalf("the error shows the secret: %v", err)
			case err != nil && !strings.Contains(err.Error(), "openssl rand"):
				t.Fatalf("the error does not say how to make one: %v", err)
			}
		})
	}
	// dev generates its own.
	dev := Config{Dev: true, API: true, Dispatcher: true}
	if err := dev.Validate(); err != nil {
		t.Fatalf("dev: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		in   string
		s    secrecy
		want string
	}{
		{"plain", public, "plain"},
		{"key", secretKey, "(set)"},
		{"", secretKey, ""},
		{"postgres://u:pw@db:5432/x?sslmode=disable", secretURL, "postgres://u:(set)@db:5432/x?sslmode=disable"},
		{"postgres://u@db/x?password=pw", secretURL, "postgres://u@db/x?password=(set)"},
		{"nats://tok@a:4222,nats://b:4222", secretURL, "nats://(set)@a:4222,nats://b:4222"},
		{"smtp://user:p%40ss@smtp.example.org:587?tls=starttls", secretURL, "smtp://user:(set)@smtp.example.org:587?tls=starttls"},
		{"%zz://pw", secretURL, "(set)"},
	} {
		if got := redact(tc.in, tc.s); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
