package web

import (
	"net/http"
	"net/http/httptest"
	"time"
)

// settle waits for the work the public pages queued after answering and,
// when a dispatcher runs, for the messages queued to leave.
func (b *bundle) settle() {
	b.t.Helper()
	if b.h.public != nil {
		b.h.public.background.wait()
	}
	if !b.sending {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.count(`SELECT count(*) FROM messages WHERE status = 'queued'`) > 0 {
		if time.Now().After(deadline) {
			b.t.Fatal("queued messages were not sent within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// restart replaces b's service by a new one on the same database, as a
// restarted process would be, with opts applied to its Handler first.
func (b *bundle) restart(opts ...func(*Handler)) {
	b.t.Helper()
	b.h.Close()
	h := &Handler{DB: b.db, Logger: b.h.Logger, Signer: b.signer, AdminToken: testToken,
		FromName: b.h.FromName, FromEmail: b.h.FromEmail}
	for _, o := range opts {
		o(h)
	}
	srv := httptest.NewServer(h.Routes())
	h.BaseURL = srv.URL
	b.t.Cleanup(srv.Close)
	b.h, b.srv = h, srv
}

// trusting makes a Handler believe the X-Forwarded-For of cidrs.
func (b *bundle) trusting(cidrs string) func(*Handler) {
	ps, err := ParseProxies(cidrs)
	if err != nil {
		b.t.Fatal(err)
	}
	return func(h *Handler) { h.TrustedProxies = ps }
}

// subscribeForm opens the subscribe form in a new browser and returns the
// browser and the form's CSRF token.
func (b *bundle) subscribeForm() (*http.Client, string) {
	b.t.Helper()
	browser := b.browser()
	_, page, _ := b.fetch(browser, "GET", "/subscribe", nil)
	return browser, csrfOf(b.t, page)
}
