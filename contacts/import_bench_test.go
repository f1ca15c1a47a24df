package contacts_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
)

// generate returns a contacts CSV of n rows, each with four subscriptions.
func generate(n int) []byte {
	zones := []string{"Europe/Paris", "Africa/Dakar", "America/Sao_Paulo", "Asia/Tokyo", ""}
	regions := []string{"western-africa", "europe", "south-america", "eastern-asia"}
	countries := []string{"MR;SN", "FR;BE", "BR;AR", "JP;KR"}
	var b bytes.Buffer
	b.WriteString(header)
	for i := range n {
		k := i % 4
		fmt.Fprintf(&b, "journalist%06d@example.org,Journalist %d,journalist,\"Outlet %d, Bureau\",%s,fr;en,%s,%t,%s,%s,migration-governance,+41 22 000 %04d,Correspondent\n",
			i, i, i%500, countries[k][:2], zones[i%len(zones)], i%3 == 0, regions[k], countries[k], i%10000)
	}
	return b.Bytes()
}

// BenchmarkImport100k imports 100,000 new contacts with 400,000
// subscriptions into an empty table.
func BenchmarkImport100k(b *testing.B) {
	ctx, db := setup(b)
	data := generate(100_000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		pgtest.Exec(b, db, `TRUNCATE contacts, subscriptions CASCADE`)
		b.StartTimer()
		res, err := contacts.Import(ctx, db, bytes.NewReader(data), contacts.ImportOptions{})
		if err != nil || res.Created != 100_000 {
			b.Fatalf("import: %+v, %v", res, err)
		}
	}
}
