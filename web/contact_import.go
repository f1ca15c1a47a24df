package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// ImportLimits bound the contact imports of the API. An upload is first
// written to a temporary file, with no database connection held, and
// imported from there once it is whole, so a slow client holds a file, not
// a connection. The zero value means the defaults.
type ImportLimits struct {
	// Concurrent is how many imports, uploads included, run at once (2);
	// a further one is refused with 429 and Retry-After.
	Concurrent int
	// Idle is how long an upload may send nothing (30 s), Total how long
	// it may take in all (10 min).
	Idle, Total time.Duration
	// Dir holds the uploads while they are imported (the system's
	// temporary directory); each is removed as soon as it is opened.
	Dir string
}

// retryImportAfter is what Retry-After suggests to an import refused for
// want of a slot: about what importing 100,000 contacts takes.
const retryImportAfter = 10 * time.Second

func (l ImportLimits) withDefaults() ImportLimits {
	if l.Concurrent <= 0 {
		l.Concurrent = 2
	}
	if l.Idle <= 0 {
		l.Idle = 30 * time.Second
	}
	if l.Total <= 0 {
		l.Total = 10 * time.Minute
	}
	return l
}

// importContacts is POST /api/v1/contacts/import; slots is the semaphore
// of running imports.
func (h *Handler) importContacts(slots chan struct{}, limits ImportLimits) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		// Until the body is read whole, an answer closes the connection:
		// the server would otherwise read what is left of the body before
		// answering, which a slow client makes wait for ever.
		w.Header().Set("Connection", "close")
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			w.Header().Set("Retry-After", strconv.Itoa(int(retryImportAfter.Seconds())))
			return &communique.Error{Code: communique.EBUSY, Message: "too many contact imports are running",
				Details: []string{fmt.Sprintf("import: %d imports are running, the most allowed at once; try again in %s",
					limits.Concurrent, retryImportAfter)}}
		}
		q := r.URL.Query()
		if p := checkParams(q, "skip_invalid"); len(p) > 0 {
			return communique.Invalid("invalid query", p)
		}
		opts := contacts.ImportOptions{Source: "api import"}
		switch s := q.Get("skip_invalid"); s {
		case "", "false":
		case "true":
			opts.SkipInvalid = true
		default:
			return communique.Invalid("invalid query", []string{fmt.Sprintf("skip_invalid: %q is not true or false", s)})
		}
		f, err := spool(w, r, limits)
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Del("Connection")
		res, err := contacts.Import(r.Context(), h.DB, bufio.NewReaderSize(f, 64<<10), opts)
		if err != nil {
			return err
		}
		h.Logger.Info("contacts imported", "created", res.Created, "updated", res.Updated, "rejected", res.RejectedTotal)
		writeJSON(w, http.StatusOK, res)
		return nil
	}
}

// spool copies the request body to an unlinked temporary file, at most
// maxImport bytes, giving up when the client sends nothing for
// limits.Idle or takes longer than limits.Total, and returns the file
// rewound.
func spool(w http.ResponseWriter, r *http.Request, limits ImportLimits) (*os.File, error) {
	f, err := os.CreateTemp(limits.Dir, "communique-import-*.csv")
	if err != nil {
		return nil, fmt.Errorf("spool import: %w", err)
	}
	// Unlinked at once, the file goes with its descriptor whatever happens.
	os.Remove(f.Name())
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	rc := http.NewResponseController(w)
	defer rc.SetReadDeadline(time.Time{})
	body := http.MaxBytesReader(w, r.Body, maxImport)
	end := time.Now().Add(limits.Total)
	buf := make([]byte, 64<<10)
	for {
		deadline := time.Now().Add(limits.Idle)
		if deadline.After(end) {
			deadline = end
		}
		// Servers that cannot set a deadline still have their own timeouts.
		_ = rc.SetReadDeadline(deadline)
		n, rerr := body.Read(buf)
		if _, err := f.Write(buf[:n]); err != nil {
			return nil, fmt.Errorf("spool import: %w", err)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, uploadError(rerr, limits, time.Now().After(end))
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool import: %w", err)
	}
	ok = true
	return f, nil
}

// uploadError explains why an upload was cut short.
func uploadError(err error, limits ImportLimits, late bool) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return communique.Invalid("the file is too large", []string{fmt.Sprintf("body: larger than %d MiB; split the file", tooBig.Limit>>20)})
	case errors.Is(err, os.ErrDeadlineExceeded) && late:
		return communique.Invalid("the upload took too long", []string{fmt.Sprintf("body: not received within %s", limits.Total)})
	case errors.Is(err, os.ErrDeadlineExceeded):
		return communique.Invalid("the upload stalled", []string{fmt.Sprintf("body: nothing received for %s", limits.Idle)})
	default:
		return communique.Invalid("the upload failed", []string{"body: " + err.Error()})
	}
}
