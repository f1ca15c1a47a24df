package mailbox

import (
	"strings"
	"testing"
)

func TestParseContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, msg  string
		text, html string
	}{
		{
			name: "no content type",
			msg:  "Subject: x\r\n\r\nplain body\r\n",
			text: "plain body\r\n",
		},
		{
			name: "latin-1 quoted-printable",
			msg: "Content-Type: text/plain; charset=ISO-8859-1\r\n" +
				"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"Caf=E9 cr=E8me",
			text: "Café crème",
		},
		{
			name: "html only, base64",
			msg: "Content-Type: text/html; charset=utf-8\r\n" +
				"Content-Transfer-Encoding: base64\r\n\r\n" +
				"PGI+aGk8L2I+\r\n",
			html: "<b>hi</b>",
		},
		{
			name: "alternative: text then html",
			msg: "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n" +
				"--b\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n" +
				"--b--\r\n",
			text: "first",
			html: "<p>second</p>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseContent([]byte(tt.msg))
			if err != nil {
				t.Fatalf("parseContent: %v", err)
			}
			if c.Text != tt.text || c.HTML != tt.html {
				t.Errorf("text %q, html %q; want %q, %q", c.Text, c.HTML, tt.text, tt.html)
			}
		})
	}
}

func TestParseContentTruncated(t *testing.T) {
	t.Parallel()
	msg := "Subject: cut\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nkept\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>cut"
	c, err := parseContent([]byte(msg))
	if err == nil {
		t.Error("no error for a multipart without its closing boundary")
	}
	if c.Text != "kept" || !strings.Contains(c.Header[0].Value, "cut") {
		t.Errorf("what was read before the error is lost: %+v", c)
	}
}
