package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// releaseOptions are the flags of the releases subcommands; each is
// registered only for the subcommand that reads it.
type releaseOptions struct {
	publish releases.PublishOptions
	reason  string
	filter  releases.ListFilter
}

func releaseFlags(fs *flag.FlagSet, sub string) *releaseOptions {
	o := &releaseOptions{}
	switch sub {
	case "publish":
		fs.BoolVar(&o.publish.PublishNow, "publish-now", false, "publish at once, public, a release whose embargo_until has passed")
		fs.BoolVar(&o.publish.AllowEmpty, "allow-empty", false, "publish even if nobody would receive the release")
	case "recall":
		fs.StringVar(&o.reason, "reason", "", "why the release is withdrawn, shown in the recall notice")
	case "list":
		fs.StringVar(&o.filter.Status, "status", "", "only releases with this status (draft, embargoed, published, recalled)")
		fs.StringVar(&o.filter.Query, "q", "", "only releases whose slug or a title contains this")
		fs.IntVar(&o.filter.Limit, "limit", releases.DefaultListLimit, fmt.Sprintf("at most this many, newest first (at most %d)", releases.MaxListLimit))
		fs.Int64Var(&o.filter.AfterID, "after", 0, "only releases older than this id (the next page)")
	}
	return o
}

// listReleases prints a page of releases, newest first, one a line, and
// how to get the next page.
func listReleases(ctx context.Context, db *sqlx.DB, o *releaseOptions, w io.Writer) error {
	page, next, err := releases.List(ctx, db, o.filter)
	if err != nil {
		return describe(err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSLUG\tLANGUAGES\tWHEN\tSENT\tTITLE")
	for _, r := range page {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", r.ID, r.Status, r.Slug, strings.Join(r.Languages, ","),
			when(r), r.Recipients.Sent, r.Recipients.Total, r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if next != 0 {
		fmt.Fprintf(w, "more: releases list -after %d\n", next)
	}
	return nil
}

// when is the time that matters for a release in a list: its lift time
// while embargoed, its publication once out, its creation as a draft.
func when(r releases.Summary) string {
	t := r.CreatedAt
	switch {
	case r.Status == releases.StatusEmbargoed && r.EmbargoUntil != nil:
		t = *r.EmbargoUntil
	case r.PublishedAt != nil:
		t = *r.PublishedAt
	}
	return t.UTC().Format(time.RFC3339)
}

func printReport(ctx context.Context, db *sqlx.DB, id int64, w io.Writer) error {
	rep, err := releases.GetReport(ctx, db, id)
	if err != nil {
		return describe(err)
	}
	return printJSON(w, rep)
}

func printAudience(ctx context.Context, db *sqlx.DB, id int64, w io.Writer) error {
	a, err := releases.GetAudience(ctx, db, id, templates.MatchLanguage, time.Now())
	if err != nil {
		return describe(err)
	}
	return printJSON(w, a)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
