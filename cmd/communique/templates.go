package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/communique/communique/app"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/templates"
)

// runTemplates serves `communique templates preview`: one message of a
// stored release, rendered as the dispatcher would (overrides included)
// and written as a complete .eml a mail client opens.
func runTemplates(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "preview" {
		return fmt.Errorf("templates: want 'preview -release ID [-lang L] [-message M] [-o FILE.eml]'")
	}
	fs := flag.NewFlagSet("templates preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	id := fs.Int64("release", 0, "release id (required)")
	lang := fs.String("lang", "", "the reader's language (default: the release's original; a language it lacks gives what its readers get)")
	message := fs.String("message", templates.VariantPublic, "public, embargoed, correction, recall or embargo_changed")
	out := fs.String("o", "", "write the message to this .eml file (default: standard output)")
	tz := fs.String("tz", "UTC", "the reader's IANA time zone, for embargo times")
	to := fs.String("to", "journalist@example.com", "the recipient, e.g. 'Ana Silva <ana@example.com>' (a name shows in the greeting of a release that greets)")
	kind := fs.String("kind", "journalist", "the recipient's kind: journalist, mission (no greeting, no unsubscribe link) or press_officer (no unsubscribe link)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *id <= 0 || fs.NArg() > 0 {
		return fmt.Errorf("templates preview: want -release ID and no other argument")
	}
	if _, err := time.LoadLocation(*tz); err != nil || *tz == "Local" {
		return fmt.Errorf("templates preview: -tz %q is not an IANA time zone", *tz)
	}
	switch *kind {
	case "journalist", "mission", "press_officer":
	default:
		return fmt.Errorf("templates preview: -kind %q is not journalist, mission or press_officer", *kind)
	}
	fromSpec := cfg.From
	if fromSpec == "" {
		fromSpec = "Media Office <media@example.org>"
	}
	from, err := mail.ParseAddress(fromSpec)
	if err != nil {
		return fmt.Errorf("COMMUNIQUE_FROM %q: %w", fromSpec, err)
	}
	rcpt, err := mail.ParseAddress(*to)
	if err != nil {
		return fmt.Errorf("-to %q: %w", *to, err)
	}

	db, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	base := cfg.PublicBaseURL()
	ov, err := branding.LoadOverrides(ctx, db, base)
	if err != nil {
		return err
	}
	for _, p := range ov.Problems() {
		fmt.Fprintf(stderr, "warning: template override %s (the built-in is used)\n", p)
	}
	pv, err := templates.LoadPreview(ctx, db, ov, *id, *message, *lang)
	if err != nil {
		return describe(err)
	}
	if err := pv.OverrideError(); err != nil {
		fmt.Fprintf(stderr, "warning: %v (the built-in is used)\n", err)
	}

	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	bounce := cfg.BounceDomain
	if bounce == "" {
		bounce = domain
	}
	// As the dispatcher addresses them: only journalists can unsubscribe,
	// and a mission is an institution, greeted by no one's name.
	rc := templates.Recipient{Name: rcpt.Name, Email: rcpt.Address, TimeZone: *tz, Institution: *kind == "mission"}
	m := &mailer.Message{
		FromName: from.Name, FromEmail: from.Address, ToName: rcpt.Name, ToEmail: rcpt.Address,
		ReplyTo:   pv.ReplyTo,
		MessageID: fmt.Sprintf("preview-%d.%s.%s.%d@%s", *id, *message, pv.Language(), time.Now().UnixNano(), domain),
		ListID:    fmt.Sprintf("%s <releases.%s>", from.Name, domain),
		Language:  pv.Language(),
		Subject:   pv.Subject(),
		Date:      time.Now(),
	}
	if *kind == "journalist" {
		rc.UnsubscribeURL = base + "/unsubscribe/preview"
		m.UnsubscribeHTTPS, m.UnsubscribeMailto = rc.UnsubscribeURL, "mailto:unsubscribe+preview@"+bounce
	}
	m.Text, m.HTML = pv.Personalize(rc)
	msg, err := mailer.Build(m)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = msg.WriteTo(stdout)
		return err
	}
	if err := writeFileAtomic(*out, func(w io.Writer) error { _, err := msg.WriteTo(w); return err }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s in %s to %s\n", *out, *message, pv.Language(), rcpt.Address)
	return nil
}

// writeFileAtomic writes path through a temporary file renamed into
// place, so a failure leaves no half-written message behind.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing to remove
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}
