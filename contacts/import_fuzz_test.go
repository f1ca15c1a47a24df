package contacts_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// FuzzImport imports arbitrary bytes: the import never panics and never
// fails with an internal error; it either succeeds or refuses the file
// with an EINVALID *communique.Error that says why. A plain `go test`
// runs only the seeds; `go test -fuzz FuzzImport ./contacts/` explores.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"good.csv", "bad.csv"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	for _, s := range []string{
		"",
		"email\n",
		"\ufeffEmail;Name;Languages\r\nmarie@example.org;\"Dupont; Marie\";fr,en\r\n",
		"email,name,phone,status,consent_at\n'-x@example.org,'=1+1,'+222 45,bounced,2026-11-27T09:30:00Z\n",
		"email,name\na@example.org,\"open\n",
		"email,name\na@example.org,a\x00b\n",
		"email,consent_source,consent_ip\na@example.org,\xff\n",
		"email,languages,regions\na@example.org,fr;en;es;ar;de;it;pt;ru;zh;ja;ko,europe;europe\n",
	} {
		f.Add([]byte(s), true)
	}
	ctx, db := setup(f)
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		res, err := contacts.Import(ctx, db, bytes.NewReader(data), contacts.ImportOptions{SkipInvalid: skip})
		if err == nil {
			if res == nil || len(res.Rejected) > res.RejectedTotal || len(res.Rejected) > contacts.MaxReported {
				t.Fatalf("result %+v", res)
			}
			return
		}
		var e *communique.Error
		if !errors.As(err, &e) || e.Code != communique.EINVALID || len(e.Details) == 0 {
			t.Fatalf("import of %q: %v (%T)", data, err, err)
		}
	})
}
