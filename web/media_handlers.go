package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/communique/communique"
	"github.com/communique/communique/media"
)

// mediaRoutes serves a release's photos and documents. An upload is
// multipart/form-data: one part named "file", and for each language
// parts "caption.LANG", "credit.LANG" and "alt.LANG".
func (h *Handler) mediaRoutes(mux *http.ServeMux) {
	if h.Media == nil {
		h.Media = media.New(h.DB, nil, h.Logger)
	}
	h.api(mux, "GET /api/v1/releases/{id}/media", h.listMedia)
	// Each upload in progress holds its file in memory, up to the
	// limit for documents: a few at once, and the next is told to wait.
	uploads := make(chan struct{}, maxMediaUploads)
	h.api(mux, "POST /api/v1/releases/{id}/media", func(w http.ResponseWriter, r *http.Request) error {
		select {
		case uploads <- struct{}{}:
			defer func() { <-uploads }()
		default:
			w.Header().Set("Retry-After", "10")
			return communique.Errorf(communique.EBUSY, "%d uploads are in progress: try again shortly", maxMediaUploads)
		}
		return h.addMedia(w, r)
	})
	h.api(mux, "PATCH /api/v1/releases/{id}/media/{mid}", h.editMedia)
	h.api(mux, "DELETE /api/v1/releases/{id}/media/{mid}", h.deleteMedia)
}

// mediaJSON is a media item with the addresses of its files.
type mediaJSON struct {
	*media.Media
	URLs map[string]string `json:"urls"`
}

func (h *Handler) mediaJSON(m *media.Media) mediaJSON {
	urls := map[string]string{media.RenditionOriginal: h.BaseURL + m.Path(media.RenditionOriginal)}
	for _, r := range m.Renditions {
		urls[r.Name] = h.BaseURL + m.Path(r.Name)
	}
	return mediaJSON{Media: m, URLs: urls}
}

func (h *Handler) listMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := media.RightToChange(r.Context(), h.DB, id); err != nil {
		return err // the release must exist
	}
	ms, err := media.List(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	out := []mediaJSON{}
	for i := range ms {
		out = append(out, h.mediaJSON(&ms[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"media": out})
	return nil
}

// mayChangeMedia refuses a principal without the right the release's
// state asks for (media.RightToChange).
func (h *Handler) mayChangeMedia(r *http.Request, id int64) error {
	right, err := media.RightToChange(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	return principal(r).Require(right)
}

// maxMediaUploads is how many uploads the API reads at once.
const maxMediaUploads = 4

// maxMediaText bounds one text part of an upload; the media package
// bounds each text more tightly.
const maxMediaText = 16 << 10

func (h *Handler) addMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.mayChangeMedia(r, id); err != nil {
		return err
	}
	u, err := readUpload(w, r)
	if err != nil {
		return err
	}
	u.ReleaseID, u.Actor = id, actor(r)
	m, err := h.Media.Add(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h.mediaJSON(m))
	return nil
}

// readUpload reads a multipart upload part by part, so that nothing of
// it goes to a temporary file, and names every field it cannot use.
func readUpload(w http.ResponseWriter, r *http.Request) (media.Upload, error) {
	var u media.Upload
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return u, communique.Invalid("invalid upload", []string{"body: must be multipart/form-data with a part named file"})
	}
	r.Body = http.MaxBytesReader(w, r.Body, media.MaxDocumentBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return u, communique.Invalid("invalid upload", []string{"body: " + err.Error()})
	}
	var details []string
	u.Texts = media.Texts{}
	var file []byte
	seen := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return u, communique.Invalid("invalid upload", []string{mediaUploadError(err)})
		}
		name := p.FormName()
		if name == "file" {
			if seen {
				details = append(details, "file: one file per upload")
				continue
			}
			seen = true
			u.Filename = p.FileName()
			// One byte more than the limit lets media say the file is too large.
			if file, err = io.ReadAll(io.LimitReader(p, media.MaxDocumentBytes+1)); err != nil {
				return u, communique.Invalid("invalid upload", []string{mediaUploadError(err)})
			}
			continue
		}
		field, lang, ok := strings.Cut(name, ".")
		if !ok || (field != "caption" && field != "credit" && field != "alt") || lang == "" {
			details = append(details, fmt.Sprintf("%s: unknown field; send file, and caption.LANG, credit.LANG, alt.LANG", name))
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxMediaText+1))
		if err != nil {
			return u, communique.Invalid("invalid upload", []string{mediaUploadError(err)})
		}
		if len(b) > maxMediaText {
			details = append(details, fmt.Sprintf("%s: longer than %d bytes", name, maxMediaText))
			continue
		}
		t := u.Texts[lang]
		switch field {
		case "caption":
			t.Caption = string(b)
		case "credit":
			t.Credit = string(b)
		case "alt":
			t.Alt = string(b)
		}
		u.Texts[lang] = t
	}
	if !seen {
		details = append(details, "file: required")
	}
	if err := communique.Invalid("invalid upload", details); err != nil {
		return u, err
	}
	u.Data = bytes.NewReader(file)
	return u, nil
}

func mediaUploadError(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Sprintf("body: larger than %d bytes", tooBig.Limit)
	}
	return "body: " + err.Error()
}

func mediaIDs(r *http.Request) (int64, int64, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, 0, err
	}
	mid, err := pathParamID(r, "mid", "media")
	return id, mid, err
}

func (h *Handler) editMedia(w http.ResponseWriter, r *http.Request) error {
	id, mid, err := mediaIDs(r)
	if err != nil {
		return err
	}
	if err := h.mayChangeMedia(r, id); err != nil {
		return err
	}
	var c media.Change
	if err := readJSON(w, r, &c); err != nil {
		return err
	}
	m, err := h.Media.Update(r.Context(), id, mid, c, actor(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.mediaJSON(m))
	return nil
}

func (h *Handler) deleteMedia(w http.ResponseWriter, r *http.Request) error {
	id, mid, err := mediaIDs(r)
	if err != nil {
		return err
	}
	if err := h.mayChangeMedia(r, id); err != nil {
		return err
	}
	if err := h.Media.Delete(r.Context(), id, mid, actor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
