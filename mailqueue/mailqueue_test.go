package mailqueue_test

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/postgres/pgtest"
)

func message(to string) *mailer.Message {
	return &mailer.Message{FromName: "Media Office", FromEmail: "media@example.org", ToEmail: to,
		MessageID: "m1@example.org", Language: "fr", Subject: "Confirmez", Text: "texte", HTML: "<p>texte</p>",
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// The message exists, and the dispatchers hear of it, exactly when the
// transaction that enqueued it commits.
func TestEnqueueIsPartOfTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dsn := pgtest.DBURL(t)
	l := pq.NewListener(dsn, 10*time.Millisecond, time.Second, nil)
	defer l.Close()
	if err := l.Listen(mailqueue.NotifyChannel); err != nil {
		t.Fatal(err)
	}

	tx := db.MustBegin()
	if _, err := mailqueue.Enqueue(ctx, tx, message("gone@example.com"), mailqueue.Meta{Kind: mailqueue.KindConfirmation}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	select {
	case n := <-l.Notify:
		t.Fatalf("a rolled back message was announced: %v", n)
	case <-time.After(200 * time.Millisecond):
	}

	tx = db.MustBegin()
	id, err := mailqueue.Enqueue(ctx, tx, message("awa@example.com"), mailqueue.Meta{Kind: mailqueue.KindConfirmation})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Notify:
		t.Fatal("a message was announced before its transaction committed")
	case <-time.After(100 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Notify:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after commit")
	}
	var row struct {
		To     string `db:"to_email"`
		Status string `db:"status"`
		Data   []byte `db:"data"`
		N      int    `db:"n"`
	}
	if err := db.Get(&row, `SELECT to_email, status, data, (SELECT count(*) FROM messages) AS n FROM messages WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if row.N != 1 || row.To != "awa@example.com" || row.Status != mailqueue.StatusQueued {
		t.Fatalf("row %+v", row)
	}
	m, err := mail.ReadMessage(bytes.NewReader(row.Data))
	if err != nil {
		t.Fatalf("stored message does not parse: %v", err)
	}
	if m.Header.Get("To") != "<awa@example.com>" || m.Header.Get("Message-Id") != "<m1@example.org>" ||
		m.Header.Get("Content-Language") != "fr" || m.Header.Get("DKIM-Signature") != "" {
		t.Fatalf("headers %v", m.Header)
	}
	if !bytes.Contains(row.Data, []byte("\r\n")) {
		t.Fatal("stored message has no CRLF line ends")
	}
}

func TestEnqueueRefusesWhatCannotBeSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	for _, c := range []struct {
		name string
		m    *mailer.Message
		kind string
		want string
	}{
		{"bad address", message("not an address"), mailqueue.KindTest, "not an address"},
		{"unknown kind", message("a@example.com"), "newsletter", "newsletter"},
	} {
		_, err := mailqueue.Enqueue(ctx, db, c.m, mailqueue.Meta{Kind: c.kind})
		var e *communique.Error
		if !errors.As(err, &e) || e.Code != communique.EINVALID || !bytes.Contains([]byte(err.Error()+fmtDetails(e)), []byte(c.want)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("%d rows written", n)
	}
}

func fmtDetails(e *communique.Error) string {
	var b bytes.Buffer
	for _, d := range e.Details {
		b.WriteString(d)
	}
	return b.String()
}
