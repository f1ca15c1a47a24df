package postgres

import "testing"

func TestScanJSON(t *testing.T) {
	m := map[string]string{"old": "value"}
	if err := ScanJSON([]byte(`{"fr":"note"}`), &m); err != nil || len(m) != 2 || m["fr"] != "note" {
		t.Fatalf("bytes: %v %v", m, err)
	}
	var n map[string]float64
	if err := ScanJSON(`{"a":1.5}`, &n); err != nil || n["a"] != 1.5 {
		t.Fatalf("string: %v %v", n, err)
	}
	if err := ScanJSON(nil, &m); err != nil || m != nil {
		t.Fatalf("NULL: %v %v", m, err)
	}
	if err := ScanJSON(42, &m); err == nil {
		t.Fatal("an int64 scanned as JSON")
	}
}
