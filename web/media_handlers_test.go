package web

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/communique/communique/users"
)

// upload posts a multipart upload with token, returning the status and
// the decoded answer.
func (b *bundle) upload(token string, releaseID int64, filename string, data []byte, fields map[string]string) (int, map[string]any) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if data != nil {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/releases/"+strconv.FormatInt(releaseID, 10)+"/media", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func testPNG(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMediaAPI(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	var created struct{ ID int64 }
	if st := b.api("POST", "/api/v1/releases", releaseJSON("with-media", ""), &created); st != 201 {
		t.Fatalf("create: %d", st)
	}
	id := created.ID
	base := "/api/v1/releases/" + strconv.FormatInt(id, 10) + "/media"

	st, got := b.upload(testToken, id, "Signing ceremony.png", testPNG(t, 800, 400),
		map[string]string{"caption.fr": "La signature", "alt.fr": "Deux personnes signent", "credit.fr": "Photo : A. Diallo", "caption.en": "The signing"})
	if st != 201 {
		t.Fatalf("upload: %d %v", st, got)
	}
	if got["filename"] != "Signing-ceremony.png" || got["kind"] != "image" || got["content_type"] != "image/png" {
		t.Errorf("uploaded: %v", got)
	}
	urls, _ := got["urls"].(map[string]any)
	if !strings.HasSuffix(urls["small"].(string), "/media/"+strconv.FormatInt(int64(got["id"].(float64)), 10)+"/small/Signing-ceremony.jpg") {
		t.Errorf("urls: %v", urls)
	}
	texts := got["texts"].(map[string]any)
	if texts["fr"].(map[string]any)["credit"] != "Photo : A. Diallo" || texts["en"].(map[string]any)["caption"] != "The signing" {
		t.Errorf("texts: %v", texts)
	}
	mid := strconv.FormatInt(int64(got["id"].(float64)), 10)

	// Bad files and fields are refused, each problem named.
	st, got = b.upload(testToken, id, "setup.jpg", append([]byte("MZ\x90\x00"), make([]byte, 100)...), nil)
	if st != 422 || !strings.Contains(detailsOf(got), "file: type application/x-msdownload is not allowed") {
		t.Errorf("exe: %d %v", st, got)
	}
	st, got = b.upload(testToken, id, "", nil, map[string]string{"title.fr": "x"})
	if st != 422 || !strings.Contains(detailsOf(got), "title.fr: unknown field") || !strings.Contains(detailsOf(got), "file: required") {
		t.Errorf("no file: %d %v", st, got)
	}
	if st := b.raw("POST", base, "application/json", strings.NewReader(`{}`)); st != 422 {
		t.Errorf("JSON body: %d", st)
	}
	if st, got := b.upload(testToken, id+99, "a.png", testPNG(t, 4, 4), nil); st != 404 {
		t.Errorf("unknown release: %d %v", st, got)
	}

	b.upload(testToken, id, "b.pdf", []byte("%PDF-1.7\n%%EOF\n"), nil)
	var list struct {
		Media []struct {
			ID       int64
			Filename string
			Position int
		}
	}
	if st := b.api("GET", base, "", &list); st != 200 || len(list.Media) != 2 || list.Media[0].Filename != "Signing-ceremony.png" {
		t.Fatalf("list: %d %+v", st, list)
	}
	var edited map[string]any
	if st := b.api("PATCH", base+"/"+mid, `{"position": 2, "texts": {"en": {"caption": "The signing, Geneva"}}}`, &edited); st != 200 {
		t.Fatalf("edit: %d %v", st, edited)
	}
	if edited["position"].(float64) != 2 {
		t.Errorf("edited: %v", edited)
	}
	if st := b.api("PATCH", base+"/"+mid, `{"texts": {"en": {"caption": "x", "title": "y"}}}`, &edited); st != 422 || !strings.Contains(detailsOf(edited), "title") {
		t.Errorf("unknown field: %d %v", st, edited)
	}
	if st := b.api("DELETE", base+"/"+strconv.FormatInt(list.Media[1].ID, 10), "", nil); st != 204 {
		t.Errorf("delete: %d", st)
	}
	if st := b.api("DELETE", base+"/x", "", &edited); st != 422 || !strings.Contains(detailsOf(edited), `mid: \"x\" is not a media id`) {
		t.Errorf("bad id: %d %v", st, edited)
	}
	var audit struct{ Entries []struct{ Action string } }
	b.api("GET", "/api/v1/audit?release_id="+strconv.FormatInt(id, 10), "", &audit)
	var actions []string
	for _, e := range audit.Entries {
		if strings.HasPrefix(e.Action, "media") {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, " ") != "media_add media_add media_edit media_delete" {
		t.Errorf("audit: %v", actions)
	}
}

func detailsOf(body map[string]any) string {
	b, _ := json.Marshal(body["details"])
	return string(b)
}

// Readers cannot upload; a press officer changes a draft's media, and
// only an editor those of a published release.
func TestMediaAPIRoles(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	tokens := map[users.Role]string{}
	for _, role := range []users.Role{users.Viewer, users.PressOfficer, users.Editor} {
		u, err := users.Create(b.ctx, b.db, users.NewUser{Email: string(role) + "@example.org", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: u.ID, Name: "t-" + string(role)})
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = secret
	}
	var created struct{ ID int64 }
	b.api("POST", "/api/v1/releases", releaseJSON("roles-media", ""), &created)
	data := testPNG(t, 10, 10)
	if st, got := b.upload(tokens[users.Viewer], created.ID, "a.png", data, nil); st != 403 {
		t.Errorf("viewer: %d %v", st, got)
	}
	if st, got := b.upload(tokens[users.PressOfficer], created.ID, "a.png", data, nil); st != 201 {
		t.Errorf("press officer, draft: %d %v", st, got)
	}
	if st := b.api("POST", "/api/v1/releases/"+strconv.FormatInt(created.ID, 10)+"/publish", `{"allow_empty": true}`, nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	if st, got := b.upload(tokens[users.PressOfficer], created.ID, "b.png", data, nil); st != 403 || !strings.Contains(got["error"].(string), "editor") {
		t.Errorf("press officer, published: %d %v", st, got)
	}
	if st, got := b.upload(tokens[users.Editor], created.ID, "b.png", data, nil); st != 201 {
		t.Errorf("editor, published: %d %v", st, got)
	}
}
