package postgres

import (
	"encoding/json"
	"fmt"
)

// ScanJSON is the body of an sql.Scanner for a json or jsonb column: it
// decodes src into v, and NULL as JSON null (a nil map or slice).
func ScanJSON(src any, v any) error {
	switch b := src.(type) {
	case nil:
		return json.Unmarshal([]byte("null"), v)
	case []byte:
		return json.Unmarshal(b, v)
	case string:
		return json.Unmarshal([]byte(b), v)
	default:
		return fmt.Errorf("cannot scan %T as JSON into %T", src, v)
	}
}
