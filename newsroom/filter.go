package newsroom

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// pageSize is how many releases a list page shows.
const pageSize = 20

// maxQuery bounds a search, which runs as a LIKE over every title.
const maxQuery = 200

// parseFilter reads region, country, topic, language, q and page from a
// query string; every bad value is named in the error.
func (h *Handler) parseFilter(ctx context.Context, q url.Values, withPaging bool) (f filter, pageNo int, err error) {
	var bad []string
	f.Region = strings.TrimSpace(q.Get("region"))
	f.Country = strings.ToUpper(strings.TrimSpace(q.Get("country")))
	f.Topic = strings.TrimSpace(q.Get("topic"))
	f.Query = strings.TrimSpace(q.Get("q"))
	for _, c := range []struct{ table, field, value string }{{"regions", "region", f.Region}, {"topics", "topic", f.Topic}} {
		if c.value == "" {
			continue
		}
		ok, err := exists(ctx, h.cfg.DB, c.table, c.value)
		if err != nil {
			return f, 0, err
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: %q is not a %s", c.field, c.value, c.field))
		}
	}
	if f.Country != "" && !taxonomy.IsCountry(f.Country) {
		bad = append(bad, fmt.Sprintf("country: %q is not an ISO 3166-1 country code", q.Get("country")))
	}
	if l := strings.TrimSpace(q.Get("language")); l != "" {
		t, err := language.Parse(l)
		if err != nil {
			bad = append(bad, fmt.Sprintf("language: %q is not a language tag", l))
		} else {
			f.Language = t.String()
		}
	}
	if len(f.Query) > maxQuery {
		bad = append(bad, fmt.Sprintf("q: longer than %d bytes", maxQuery))
	}
	pageNo = 1
	if p := q.Get("page"); withPaging && p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 10000 {
			bad = append(bad, fmt.Sprintf("page: %q must be a whole number from 1 to 10000", p))
		} else {
			pageNo = n
		}
	}
	return f, pageNo, communique.Invalid("invalid filter", bad)
}

// values writes f back as a query string, with extra set on top.
func (f filter) values(lang string, extra ...string) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("lang", lang)
	set("region", f.Region)
	set("country", f.Country)
	set("topic", f.Topic)
	set("language", f.Language)
	set("q", f.Query)
	for i := 0; i+1 < len(extra); i += 2 {
		set(extra[i], extra[i+1])
	}
	return v
}
