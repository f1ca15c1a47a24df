package contacts

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"
)

// Export writes every contact as CSV with a header of ExportColumns,
// streaming rows from the database as it writes them. Cells a spreadsheet
// would run as a formula get a leading "'", which import drops again, so
// importing the file into an empty database gives the same contacts,
// statuses, suppressions and consent.
func Export(ctx context.Context, db *sqlx.DB, w io.Writer) error {
	rows, err := db.QueryxContext(ctx, selectContacts+` ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	var buf []string
	for rows.Next() {
		var c Contact
		if err := rows.StructScan(&c); err != nil {
			return fmt.Errorf("export contacts: %w", err)
		}
		buf = csvRecord(&c, buf)
		if err := cw.Write(buf); err != nil {
			return fmt.Errorf("export contacts: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	return nil
}
