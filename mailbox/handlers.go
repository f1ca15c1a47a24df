package mailbox

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).ParseFS(templateFS, "templates/*.html"))

const (
	// pageCSP allows the pages' inline style and the framed HTML part only.
	pageCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
	// partCSP confines a received HTML part: no scripts, no forms, no
	// requests but images, an origin of its own.
	partCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

// Handler serves the web views of the mailbox:
//
//	GET /dev/mailbox           the messages, newest first
//	GET /dev/mailbox.json      the messages as a JSON array of Message, oldest first
//	GET /dev/mailbox/{id}      one message: header, text and HTML parts, attachments
//	GET /dev/mailbox/{id}.eml  the raw message
//	GET /dev/mailbox/{id}/html the HTML part alone, under a sandboxing Content-Security-Policy
//
// Mount it for "/dev/mailbox", "/dev/mailbox/" and "/dev/mailbox.json".
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dev/mailbox", s.handleList)
	mux.HandleFunc("GET /dev/mailbox/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dev/mailbox", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /dev/mailbox.json", s.handleJSON)
	mux.HandleFunc("GET /dev/mailbox/{id}", s.handleMessage)
	mux.HandleFunc("GET /dev/mailbox/{id}/html", s.handleHTMLPart)
	return mux
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	msgs := s.Messages()
	// Newest first.
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	s.render(w, "list.html", struct {
		Messages []Message
		Count    int
	}{msgs, s.Count()})
}

func (s *Server) handleJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	// Messages never returns nil, so an empty mailbox is [] rather than null.
	if err := json.NewEncoder(w).Encode(s.Messages()); err != nil {
		s.logger.Warn("mailbox: write json", "error", err)
	}
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	id, raw := strings.CutSuffix(r.PathValue("id"), ".eml")
	m, ok := s.lookup(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if raw {
		w.Header().Set("Content-Type", "message/rfc822")
		w.Header().Set("Content-Disposition", `attachment; filename="message-`+strconv.Itoa(m.ID)+`.eml"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(m.Data)
		return
	}
	c, err := parseContent(m.Data)
	var parseErr string
	if err != nil {
		parseErr = err.Error()
	}
	s.render(w, "message.html", struct {
		Message    Message
		Content    content
		ParseError string
	}{m, c, parseErr})
}

func (s *Server) handleHTMLPart(w http.ResponseWriter, r *http.Request) {
	m, ok := s.lookup(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	c, _ := parseContent(m.Data)
	if c.HTML == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", partCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(c.HTML))
}

// lookup finds a message by the id in a path.
func (s *Server) lookup(id string) (Message, bool) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return Message{}, false
	}
	return s.Message(n)
}

// render executes a template into a buffer first, so that an error gives a
// 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		s.logger.Error("mailbox: render page", "template", name, "error", err)
		http.Error(w, "mailbox: cannot render page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	buf.WriteTo(w)
}
