package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/postgres"
)

// walLSN is the server's current WAL insert position. WAL is the whole
// server's: other databases' writes during a run count too.
func walLSN(ctx context.Context, db *sqlx.DB) (string, error) {
	var lsn string
	err := db.GetContext(ctx, &lsn, `SELECT pg_current_wal_lsn()::text`)
	return lsn, err
}

func walBytes(ctx context.Context, db *sqlx.DB, from, to string) (float64, error) {
	var n float64
	err := db.GetContext(ctx, &n, `SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)`, from, to)
	return n, err
}

// tableCounts are a table's cumulative row counts from pg_stat_user_tables.
type tableCounts struct {
	Table    string  `db:"relname" json:"-"`
	Inserted float64 `db:"n_tup_ins" json:"inserted"`
	Updated  float64 `db:"n_tup_upd" json:"updated"`
	HOT      float64 `db:"n_tup_hot_upd" json:"hot_updated"`
	Deleted  float64 `db:"n_tup_del" json:"deleted"`
}

func readTables(ctx context.Context, db *sqlx.DB) (map[string]tableCounts, error) {
	var rows []tableCounts
	if err := db.SelectContext(ctx, &rows, `
		SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables`); err != nil {
		return nil, fmt.Errorf("read pg_stat_user_tables: %w", err)
	}
	m := map[string]tableCounts{}
	for _, r := range rows {
		m[r.Table] = r
	}
	return m, nil
}

// settledTables reads pg_stat_user_tables until it stops moving: backends
// report their counts some time after a transaction (at most once a
// second while busy, about a second after they turn idle).
func settledTables(ctx context.Context, db *sqlx.DB) (map[string]tableCounts, error) {
	var prev map[string]tableCounts
	for deadline := time.Now().Add(15 * time.Second); ; {
		next, err := readTables(ctx, db)
		if err != nil {
			return nil, err
		}
		if (prev != nil && maps.Equal(next, prev)) || time.Now().After(deadline) {
			return next, nil
		}
		prev = next
		time.Sleep(1200 * time.Millisecond)
	}
}

// tablesPerDelivery is each table's row changes since before, per
// delivery; tables nothing wrote to are left out.
func tablesPerDelivery(ctx context.Context, db *sqlx.DB, before map[string]tableCounts, n int) (map[string]tableCounts, error) {
	after, err := settledTables(ctx, db)
	if err != nil {
		return nil, err
	}
	out := map[string]tableCounts{}
	per := func(a, b float64) float64 { return round3((a - b) / float64(n)) }
	for name, a := range after {
		b := before[name]
		d := tableCounts{Inserted: per(a.Inserted, b.Inserted), Updated: per(a.Updated, b.Updated),
			HOT: per(a.HOT, b.HOT), Deleted: per(a.Deleted, b.Deleted)}
		if d != (tableCounts{}) {
			out[name] = d
		}
	}
	return out, nil
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// statement is one row of pg_stat_statements.
type statement struct {
	Query   string  `db:"query" json:"query"`
	Calls   int64   `db:"calls" json:"calls"`
	TotalMS float64 `db:"total_ms" json:"total_exec_ms"`
	MeanMS  float64 `db:"mean_ms" json:"mean_exec_ms"`
	// Plans and their time, counted only with
	// pg_stat_statements.track_planning on: a prepared statement that
	// is planned again at every call shows here.
	Plans    int64   `db:"plans" json:"plans,omitempty"`
	PlanMS   float64 `db:"plan_ms" json:"total_plan_ms,omitempty"`
	Rows     int64   `db:"rows" json:"rows"`
	WALBytes float64 `db:"wal_bytes" json:"wal_bytes"`
	WALFPI   int64   `db:"wal_fpi" json:"wal_fpi"`
}

// statementsReady says whether pg_stat_statements can be used: the server
// must load its library at start (shared_preload_libraries), which this
// program never changes. When it can, the extension is created in the
// scratch database and its counts for that database are reset.
func statementsReady(ctx context.Context, db *sqlx.DB) (string, bool) {
	var libs string
	if err := db.GetContext(ctx, &libs, `SHOW shared_preload_libraries`); err != nil {
		return "read shared_preload_libraries: " + err.Error(), false
	}
	if !strings.Contains(libs, "pg_stat_statements") {
		return "pg_stat_statements is not in the server's shared_preload_libraries", false
	}
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return "create extension pg_stat_statements: " + err.Error(), false
	}
	if _, err := db.ExecContext(ctx, `
		SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`); err != nil {
		return "reset pg_stat_statements: " + err.Error(), false
	}
	return "", true
}

// topStatements is the scratch database's statements by total execution
// time since the reset.
func topStatements(ctx context.Context, db *sqlx.DB, limit int) ([]statement, error) {
	var st []statement
	err := db.SelectContext(ctx, &st, `
		SELECT regexp_replace(query, '\s+', ' ', 'g') AS query, calls,
			round(total_exec_time::numeric, 1)::float8 AS total_ms, round(mean_exec_time::numeric, 3)::float8 AS mean_ms,
			plans, round(total_plan_time::numeric, 1)::float8 AS plan_ms,
			rows, wal_bytes::float8 AS wal_bytes, wal_fpi
		FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY total_exec_time DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	return st, nil
}

// walRelation is the WAL written for one relation (table or index) of
// the scratch database, per delivery, with its records by type.
type walRelation struct {
	Relation string     `db:"relation" json:"relation"`
	Records  float64    `db:"records" json:"records"`
	Bytes    float64    `db:"bytes" json:"bytes"`
	FPIBytes float64    `db:"fpi_bytes" json:"fpi_bytes"`
	Types    jsonFloats `db:"types" json:"records_by_type"`
}

// jsonFloats scans a JSON object of numbers.
type jsonFloats map[string]float64

func (m *jsonFloats) Scan(src any) error { return postgres.ScanJSON(src, (*map[string]float64)(m)) }

// walByRelation reads the WAL between two positions with pg_walinspect
// and attributes each record to the relation of its first block: tables
// and indexes of the scratch database by name, those of other databases
// together, and records that touch no block (commits) by resource
// manager. The WAL must still be on disk: read it right after the run.
func walByRelation(ctx context.Context, db *sqlx.DB, from, to string, n int) ([]walRelation, error) {
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_walinspect`); err != nil {
		return nil, fmt.Errorf("create extension pg_walinspect: %w", err)
	}
	var rows []walRelation
	err := db.SelectContext(ctx, &rows, `
		WITH r AS (
			SELECT resource_manager || '/' || record_type AS kind, record_length, fpi_length,
				regexp_match(block_ref, 'rel (\d+)/(\d+)/(\d+)') AS m
			FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
		k AS (
			SELECT kind, record_length, fpi_length, CASE
				WHEN m IS NULL THEN '(no block)'
				WHEN m[2]::oid <> (SELECT oid FROM pg_database WHERE datname = current_database())
					THEN '(other databases)'
				ELSE coalesce(pg_filenode_relation(CASE WHEN m[1] = '1663' THEN 0 ELSE m[1]::oid END, m[3]::oid)::regclass::text,
					'(unknown relation)')
				END AS relation
			FROM r),
		t AS (
			SELECT relation, kind, count(*) AS records, sum(record_length) AS bytes, sum(fpi_length) AS fpi
			FROM k GROUP BY relation, kind)
		SELECT relation, sum(records)::float8 / $3 AS records,
			sum(bytes)::float8 / $3 AS bytes, sum(fpi)::float8 / $3 AS fpi_bytes,
			json_object_agg(kind, round(records::numeric / $3::numeric, 3)) AS types
		FROM t GROUP BY relation HAVING sum(bytes)::float8 / $3 >= 0.5 ORDER BY sum(bytes) DESC`, from, to, n)
	if err != nil {
		return nil, fmt.Errorf("read WAL with pg_walinspect: %w", err)
	}
	for i := range rows {
		rows[i].Records, rows[i].Bytes, rows[i].FPIBytes = round3(rows[i].Records), math.Round(rows[i].Bytes), math.Round(rows[i].FPIBytes)
	}
	return rows, nil
}
