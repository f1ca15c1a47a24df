package office

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"

	"github.com/communique/communique"
	"github.com/communique/communique/media"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// mediaPages is the media page, in the release pages' frame.
var mediaPages = parseReleasePages("media")

// mediaRouteTable is the media page and its actions with the right each
// needs: the API's (web/auth.go). Out of draft, changing media needs the
// right to correct as well, which the actions check.
var mediaRouteTable = []moreRoute{
	{"GET /office/releases/{id}/media", users.ReadReleases, (*Handler).mediaPage},
	{"GET /office/releases/{id}/media/{mid}/{rendition}", users.ReadReleases, (*Handler).mediaFile},
	{"POST /office/releases/{id}/media", users.WriteReleases, (*Handler).uploadMedia},
	{"POST /office/releases/{id}/media/{mid}", users.WriteReleases, (*Handler).saveMedia},
	{"POST /office/releases/{id}/media/{mid}/move", users.WriteReleases, (*Handler).moveMedia},
	{"POST /office/releases/{id}/media/{mid}/delete", users.WriteReleases, (*Handler).deleteMedia},
}

// mediaRoutes registers mediaRouteTable.
func (h *Handler) mediaRoutes(mux *http.ServeMux) {
	if h.cfg.Media == nil {
		h.cfg.Media = media.New(h.cfg.DB, nil, h.log)
	}
	h.handleRoutes(mux, mediaRouteTable)
}

// mediaUploadPath is the one form of the media page that sends a file.
var mediaUploadPath = regexp.MustCompile(`^/office/releases/[0-9]+/media$`)

// isMediaUpload tells the form check to read a file from this form.
func isMediaUpload(path string) bool { return mediaUploadPath.MatchString(path) }

// mediaView is the media page: the release's photos and documents, and
// the upload form.
type mediaView struct {
	*relView
	Items []mediaItem
	// ReleaseLangs are the release's languages, each with fields in the forms.
	ReleaseLangs []string
	// CanChange is false for a reader, and for a writer once the
	// release is out of draft (changing it then needs an editor).
	CanChange bool
	Locked    string
	Limits    string
	// Upload holds the upload form's texts as posted.
	Upload media.Texts
}

// mediaItem is one media item as the page lists it.
type mediaItem struct {
	media.Media
	Thumb                   string
	ThumbWidth, ThumbHeight int
	ThumbAlt                string
	About                   string
	First, Last             bool
}

// Field is the id and name of an item's text field.
func (v *mediaView) Field(id int64, field, lang string) string {
	if id == 0 {
		return "up-" + field + "-" + lang
	}
	return "m" + strconv.FormatInt(id, 10) + "-" + field + "-" + lang
}

// Text is an item's text field in a language.
func (v *mediaView) Text(t media.Texts, field, lang string) string {
	x := t[lang]
	switch field {
	case "caption":
		return x.Caption
	case "credit":
		return x.Credit
	}
	return x.Alt
}

// Fields are the texts each language has, in their order on the page.
func (v *mediaView) Fields() []string { return []string{"caption", "credit", "alt"} }

// mediaPage shows a release's media.
func (h *Handler) mediaPage(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v := h.relView(r, "media_title")
	h.showMedia(w, r, u, id, http.StatusOK, v, nil)
}

// showMedia renders the media page of release id; upload holds the
// texts of a refused upload.
func (h *Handler) showMedia(w http.ResponseWriter, r *http.Request, u *users.User, id int64, status int, v *relView, upload media.Texts) {
	ctx := r.Context()
	rel, err := releases.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ms, err := media.List(ctx, h.cfg.DB, id)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Rel, v.ReleaseID = rel, id
	mv := &mediaView{relView: v, ReleaseLangs: rel.Languages(), Upload: upload,
		Limits: v.T("media_limits", strconv.Itoa(media.MaxImageBytes>>20), strconv.Itoa(media.MaxDocumentBytes>>20), strconv.Itoa(media.MaxPixels/1_000_000))}
	right, err := media.RightToChange(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	mv.CanChange = u.Role.Can(right) && rel.Status != releases.StatusRecalled
	switch {
	case rel.Status == releases.StatusRecalled:
		mv.Locked = v.T("media_locked_recalled")
	case !mv.CanChange:
		mv.Locked = v.T("media_locked", v.RoleName(users.Need(right)))
	case rel.Status != releases.StatusDraft:
		mv.Locked = v.T("media_live")
	}
	for i, m := range ms {
		it := mediaItem{Media: m, First: i == 0, Last: i == len(ms)-1}
		base := "/office/releases/" + strconv.FormatInt(id, 10) + "/media/" + strconv.FormatInt(m.ID, 10) + "/"
		if m.Kind == media.KindImage && len(m.Renditions) > 0 {
			// Small enough for a phone's column, whatever the photo.
			it.Thumb, it.ThumbWidth = base+media.RenditionSmall, min(200, m.Width)
			it.ThumbHeight = max(1, m.Height*it.ThumbWidth/m.Width)
			it.ThumbAlt = m.Texts[v.Lang].Alt
			if it.ThumbAlt == "" {
				it.ThumbAlt = m.Texts[rel.OriginalLanguage].Alt
			}
		}
		it.About = v.T("media_about", m.ContentType, sizeText(m.Size))
		if m.Width > 0 {
			it.About += " · " + strconv.Itoa(m.Width) + " × " + strconv.Itoa(m.Height)
		}
		mv.Items = append(mv.Items, it)
	}
	h.renderFrom(w, r, status, mediaPages, "media", v, mv)
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatInt(max(1, (n+1023)/1024), 10) + " KiB"
}

// mayChange refuses, with 403 naming the role, a change the release's
// state does not allow this user.
func (h *Handler) mayChange(w http.ResponseWriter, r *http.Request, u *users.User, id int64) bool {
	right, err := media.RightToChange(r.Context(), h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return false
	}
	if !u.Role.Can(right) {
		h.forbidden(w, r, right)
		return false
	}
	return true
}

// changeableRelease loads release id for a change of its media, once
// its state allows this user the change.
func (h *Handler) changeableRelease(w http.ResponseWriter, r *http.Request, u *users.User, id int64) (*releases.Release, bool) {
	if !h.mayChange(w, r, u, id) {
		return nil, false
	}
	rel, err := releases.Get(r.Context(), h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return nil, false
	}
	return rel, true
}

// mediaRefused shows the media page again with why a change of item mid
// (0 for an upload) was refused, or fails for an error no user can act
// on; upload holds the texts of a refused upload.
func (h *Handler) mediaRefused(w http.ResponseWriter, r *http.Request, u *users.User, v *relView, id, mid int64, err error, upload media.Texts) {
	if !h.mediaProblems(v, err, mid) {
		h.relFailed(w, r, err)
		return
	}
	h.showMedia(w, r, u, id, communique.HTTPStatus(communique.ErrorCode(err)), v, upload)
}

// postedTexts reads the texts of langs from a form, as caption.LANG,
// credit.LANG and alt.LANG.
func postedTexts(r *http.Request, langs []string) media.Texts {
	out := media.Texts{}
	for _, l := range langs {
		out[l] = media.Text{Caption: r.PostFormValue("caption." + l), Credit: r.PostFormValue("credit." + l), Alt: r.PostFormValue("alt." + l)}
	}
	return out
}

// uploadMedia adds the file sent; a refused file shows the page again
// with each problem by its field.
func (h *Handler) uploadMedia(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx := r.Context()
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	rel, ok := h.changeableRelease(w, r, u, id)
	if !ok {
		return
	}
	texts := postedTexts(r, rel.Languages())
	v := h.relView(r, "media_title")
	file, name, err := postedFile(r, "file")
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if file == nil {
		v.problem("file", "media_file", v.T("media_err_file"))
		h.showMedia(w, r, u, id, http.StatusUnprocessableEntity, v, texts)
		return
	}
	defer file.Close()
	m, err := h.cfg.Media.Add(ctx, media.Upload{ReleaseID: id, Filename: name, Data: file, Texts: texts, Actor: actor(u)})
	if err != nil {
		h.mediaRefused(w, r, u, v, id, 0, err, texts)
		return
	}
	h.flash(ctx, "media_added", m.Filename)
	http.Redirect(w, r, mediaPagePath(id), http.StatusSeeOther)
}

// detailField reads "field.lang: text" and "file: text", as the media
// package words its details.
var detailField = regexp.MustCompile(`^(file|caption|credit|alt|position)(?:\.([A-Za-z0-9-]+))?: (.*)$`)

// mediaProblems puts an error a user can act on onto the page, each
// detail by its field; false for any other error.
func (h *Handler) mediaProblems(v *relView, err error, item int64) bool {
	switch communique.ErrorCode(err) {
	case communique.EINVALID:
	case communique.ECONFLICT, communique.ENOTFOUND:
		v.Error = communique.ErrorMessage(err)
		return true
	default:
		return false
	}
	mv := &mediaView{}
	details := communique.ErrorDetails(err)
	if len(details) == 0 {
		v.Error = communique.ErrorMessage(err)
	}
	for _, d := range details {
		m := detailField.FindStringSubmatch(d)
		if m == nil {
			v.problem("file", "media_file", d)
			continue
		}
		field, lang, text := m[1], m[2], m[3]
		if field == "file" || field == "position" {
			v.problem("file", "media_file", text)
			continue
		}
		// The label names the language too: problem takes a catalog key.
		v.problems = append(v.problems, problem{Field: mv.Field(item, field, lang), Label: v.T("media_"+field) + " (" + v.LangLabel(lang) + ")", Text: text})
	}
	return true
}

func mediaPagePath(id int64) string {
	return "/office/releases/" + strconv.FormatInt(id, 10) + "/media"
}

// mediaIDs reads a media action's release and media ids.
func mediaIDs(r *http.Request) (int64, int64, error) {
	id, err := releaseID(r)
	if err != nil {
		return 0, 0, err
	}
	mid, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil || mid <= 0 {
		return 0, 0, communique.Errorf(communique.ENOTFOUND, "no media %q", r.PathValue("mid"))
	}
	return id, mid, nil
}

// saveMedia saves an item's texts in every language of the release.
func (h *Handler) saveMedia(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.changeMedia(w, r, u, "media_saved", func(rel *releases.Release, m *media.Media) media.Change {
		return media.Change{Texts: postedTexts(r, rel.Languages())}
	})
}

// moveMedia moves an item one place up or down.
func (h *Handler) moveMedia(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.changeMedia(w, r, u, "media_moved", func(_ *releases.Release, m *media.Media) media.Change {
		pos := m.Position + 1
		if r.PostFormValue("to") == "up" {
			pos = max(1, m.Position-1)
		}
		return media.Change{Position: &pos}
	})
}

// changeMedia applies the change change makes of an item and goes back
// to the page, or shows it again with what is wrong.
func (h *Handler) changeMedia(w http.ResponseWriter, r *http.Request, u *users.User, flash string, change func(*releases.Release, *media.Media) media.Change) {
	ctx := r.Context()
	id, mid, err := mediaIDs(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	rel, ok := h.changeableRelease(w, r, u, id)
	if !ok {
		return
	}
	m, err := media.Get(ctx, h.cfg.DB, id, mid)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	if m, err = h.cfg.Media.Update(ctx, id, mid, change(rel, m), actor(u)); err != nil {
		h.mediaRefused(w, r, u, h.relView(r, "media_title"), id, mid, err, nil)
		return
	}
	h.flash(ctx, flash, m.Filename)
	http.Redirect(w, r, mediaPagePath(id)+"#m"+strconv.FormatInt(mid, 10), http.StatusSeeOther)
}

// deleteMedia removes an item and its files.
func (h *Handler) deleteMedia(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx := r.Context()
	id, mid, err := mediaIDs(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	if !h.mayChange(w, r, u, id) {
		return
	}
	m, err := media.Get(ctx, h.cfg.DB, id, mid)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	if err := h.cfg.Media.Delete(ctx, id, mid, actor(u)); err != nil {
		h.mediaRefused(w, r, u, h.relView(r, "media_title"), id, mid, err, nil)
		return
	}
	h.flash(ctx, "media_deleted", m.Filename)
	http.Redirect(w, r, mediaPagePath(id), http.StatusSeeOther)
}

// mediaFile serves a file to the office, whatever the release's state:
// the thumbnails of the page, and the originals to check.
func (h *Handler) mediaFile(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx := r.Context()
	id, mid, err := mediaIDs(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	m, err := media.Get(ctx, h.cfg.DB, id, mid)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	rend, ok := m.Rendition(r.PathValue("rendition"))
	if !ok {
		h.relFailed(w, r, communique.Errorf(communique.ENOTFOUND, "no rendition %q", r.PathValue("rendition")))
		return
	}
	rc, err := h.cfg.Media.Open(ctx, mid, rend.Name)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	defer rc.Close()
	disposition := "inline"
	if m.Kind == media.KindDocument {
		disposition = "attachment"
	}
	hd := w.Header()
	hd.Set("Content-Type", rend.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(rend.Size, 10))
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": m.FileName(rend)}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, rc); err != nil && !errors.Is(err, io.ErrClosedPipe) {
		h.log.Warn("media file cut short", "release_id", id, "media_id", mid, "error", err)
	}
}
