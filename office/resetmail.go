package office

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// resetMailsPerHour bounds the reset mails one address gets: asking is
// open to anyone, and must not become a way to flood a colleague.
const resetMailsPerHour = 3

// mailResetLink looks the address up and, for an active user who has
// not had too many already, queues a mail with a new reset link (voiding
// the earlier ones), which the dispatcher sends. An unknown or disabled
// address gets nothing.
func (h *Handler) mailResetLink(ctx context.Context, email, client string) error {
	u, err := users.ByEmail(ctx, h.cfg.DB, email)
	if communique.ErrorCode(err) == communique.ENOTFOUND {
		h.log.Info("password reset asked for an unknown address", "client", client)
		return nil
	}
	if err != nil {
		return err
	}
	if u.Status != users.Active {
		h.log.Info("password reset asked for a disabled user", "user_id", u.ID, "client", client)
		return nil
	}
	var recent int
	if err := h.cfg.DB.GetContext(ctx, &recent, `
		SELECT count(*) FROM user_links
		WHERE user_id = $1 AND purpose = $2 AND created_at > now() - interval '1 hour'`, u.ID, users.ResetLink); err != nil {
		return fmt.Errorf("count reset links: %w", err)
	}
	if recent >= resetMailsPerHour {
		h.log.Warn("password reset mails to a user limited", "user_id", u.ID, "client", client)
		return nil
	}
	// The link and the mail that carries it commit together: a link
	// nobody was sent, or a mail with a link that does not exist, cannot
	// happen.
	brand := h.brandOf(ctx)
	err = postgres.Tx(ctx, h.cfg.DB, func(tx *sqlx.Tx) error {
		tok, err := users.IssueLinkTx(ctx, tx, u.ID, users.ResetLink, ResetLinkTTL)
		if err != nil {
			return err
		}
		m, err := h.resetMessage(u, h.cfg.BaseURL+"/office/reset/"+tok, brand)
		if err != nil {
			return err
		}
		_, err = mailqueue.Enqueue(ctx, tx, m, mailqueue.Meta{Kind: mailqueue.KindReset, UserID: u.ID})
		return err
	})
	if err != nil {
		return fmt.Errorf("queue reset link for user %d: %w", u.ID, err)
	}
	h.log.Info("password reset link queued", "user_id", u.ID, "client", client)
	return nil
}

// resetMessage is the one place a reset link's mail is made, in the
// user's own language.
func (h *Handler) resetMessage(u *users.User, link string, brand *branding.Branding) (*mailer.Message, error) {
	if h.cfg.FromEmail == "" {
		return nil, errors.New("no mail sender is configured (COMMUNIQUE_FROM)")
	}
	lang, ok := uiLanguage(u.UILanguage)
	if !ok {
		lang = "en"
	}
	v := resetMailView{Lang: lang, Dir: templates.Direction(lang), Link: link,
		Greeting: translate(lang, "mail_greeting", displayName(u)),
		Body:     translate(lang, "mail_reset_body"), Button: translate(lang, "mail_reset_button"),
		Ignore: translate(lang, "mail_reset_ignore"),
		Org:    brand.Name, Footer: branding.Lines(brand.FooterFor(lang)), Address: brand.AddressLines()}
	var html bytes.Buffer
	if err := resetMailHTML.Execute(&html, v); err != nil {
		return nil, fmt.Errorf("render reset mail: %w", err)
	}
	text := v.Greeting + "\n\n" + v.Body + "\n\n" + link + "\n\n" + v.Ignore + "\n"
	if v.Org != "" {
		text = v.Org + "\n\n" + text
	}
	for _, part := range [][]string{v.Footer, v.Address} {
		if len(part) > 0 {
			text += "\n" + strings.Join(part, "\n") + "\n"
		}
	}
	domain := h.cfg.FromEmail[strings.LastIndexByte(h.cfg.FromEmail, '@')+1:]
	b := make([]byte, 16)
	rand.Read(b)
	return &mailer.Message{
		FromName: h.cfg.FromName, FromEmail: h.cfg.FromEmail, ToName: u.Name, ToEmail: u.Email,
		MessageID: hex.EncodeToString(b) + "@" + domain,
		ListID:    strings.TrimSpace(h.cfg.FromName + " press office <office." + domain + ">"),
		Language:  lang, Subject: translate(lang, "mail_reset_subject"), Text: text, HTML: html.String(),
		Date: time.Now(),
	}, nil
}

func displayName(u *users.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

type resetMailView struct {
	Lang, Dir, Link                string
	Greeting, Body, Button, Ignore string
	// The organisation's branding: its name above, its footer and postal
	// address below; empty when not set.
	Org             string
	Footer, Address []string
}

var resetMailHTML = template.Must(template.New("reset").Parse(`<!doctype html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" dir="{{.Dir}}" style="direction: {{.Dir}}; font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #1d2430;">
<tr><td style="padding: 16px; max-width: 560px;">
{{- with .Org}}
<p style="font-weight: bold; color: #444444;">{{.}}</p>
{{- end}}
<p>{{.Greeting}}</p>
<p>{{.Body}}</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: 10px 16px; background: #0b5cad; color: #ffffff; text-decoration: none; border-radius: 6px;">{{.Button}}</a></p>
<p style="font-size: 14px; color: #5a6472;" dir="ltr"><a href="{{.Link}}" style="color: #0b5cad;">{{.Link}}</a></p>
<p style="font-size: 14px; color: #5a6472;">{{.Ignore}}</p>
{{- with .Footer}}
<p style="font-size: 12px; color: #5a6472;">{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}</p>
{{- end}}
{{- with .Address}}
<p style="font-size: 12px; color: #5a6472;">{{range $i, $l := .}}{{if $i}}<br>{{end}}<bdi>{{$l}}</bdi>{{end}}</p>
{{- end}}
</td></tr>
</table>
</body>
</html>
`))
