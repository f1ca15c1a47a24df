package media

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode"
)

// Kinds of media.
const (
	KindImage    = "image"
	KindDocument = "document"
)

// Limits of an upload. A photo is decoded to make its renditions, and
// a decoded image takes width × height × 4 bytes whatever its file size:
// MaxPixels refuses an image before it is decoded.
const (
	MaxImageBytes    = 15 << 20
	MaxDocumentBytes = 25 << 20
	MaxPixels        = 40_000_000
	// maxZipEntries bounds the archive a DOCX, XLSX, PPTX or ODT is; only
	// its directory and one short entry are read.
	maxZipEntries = 10_000
)

// allowedText is what a refusal tells the user they may send.
const allowedText = "photos may be JPEG, PNG, GIF or WebP and documents PDF, DOCX, XLSX, PPTX, ODT, ODS or ODP"

// format is what a file was found to be.
type format struct {
	kind, contentType, ext string
}

var (
	formatJPEG = format{KindImage, "image/jpeg", ".jpg"}
	formatPNG  = format{KindImage, "image/png", ".png"}
	formatGIF  = format{KindImage, "image/gif", ".gif"}
	formatWebP = format{KindImage, "image/webp", ".webp"}
	formatPDF  = format{KindDocument, "application/pdf", ".pdf"}
)

// ooxml names the part that makes an Office Open XML archive a document,
// a spreadsheet or a presentation.
var ooxml = []struct {
	part string
	f    format
}{
	{"word/document.xml", format{KindDocument, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"}},
	{"xl/workbook.xml", format{KindDocument, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"}},
	{"ppt/presentation.xml", format{KindDocument, "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"}},
}

// odf maps an OpenDocument archive's mimetype entry to its format.
var odf = map[string]format{
	"application/vnd.oasis.opendocument.text":         {KindDocument, "application/vnd.oasis.opendocument.text", ".odt"},
	"application/vnd.oasis.opendocument.spreadsheet":  {KindDocument, "application/vnd.oasis.opendocument.spreadsheet", ".ods"},
	"application/vnd.oasis.opendocument.presentation": {KindDocument, "application/vnd.oasis.opendocument.presentation", ".odp"},
}

// sniff finds what data is from its content alone: the name and the
// type a browser claims are not believed. Anything else, SVG and HTML
// among them (they can carry scripts), is refused with a detail naming
// the field.
func sniff(data []byte) (format, string) {
	if len(data) == 0 {
		return format{}, "file: empty"
	}
	ct := http.DetectContentType(data)
	switch ct {
	case "image/jpeg":
		return formatJPEG, ""
	case "image/png":
		return formatPNG, ""
	case "image/gif":
		return formatGIF, ""
	case "image/webp":
		return formatWebP, ""
	case "application/pdf":
		// A PDF ends with %%EOF, perhaps followed by a little padding: an
		// upload cut short has none.
		tail := data[max(0, len(data)-2048):]
		if !bytes.Contains(tail, []byte("%%EOF")) {
			return format{}, "file: the PDF is incomplete (it does not end with %%EOF)"
		}
		return formatPDF, ""
	case "application/zip":
		return sniffZip(data)
	}
	if bytes.HasPrefix(data, []byte("MZ")) {
		ct = "application/x-msdownload"
	}
	ct, _, _ = strings.Cut(ct, ";")
	return format{}, fmt.Sprintf("file: type %s is not allowed; %s", ct, allowedText)
}

// sniffZip recognizes the office formats, which are ZIP archives: by the
// names of their parts, never by decompressing more than ODF's short
// mimetype entry, so an archive bomb costs nothing.
func sniffZip(data []byte) (format, string) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return format{}, "file: a ZIP archive that cannot be read; " + allowedText
	}
	if len(zr.File) > maxZipEntries {
		return format{}, fmt.Sprintf("file: an archive of %d parts is not a document", len(zr.File))
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
		if strings.EqualFold(path.Base(f.Name), "vbaProject.bin") {
			return format{}, "file: documents with macros are not allowed"
		}
	}
	if names["[Content_Types].xml"] {
		for _, o := range ooxml {
			if names[o.part] {
				return o.f, ""
			}
		}
	}
	for _, f := range zr.File {
		if f.Name != "mimetype" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(io.LimitReader(rc, 128))
		rc.Close()
		if ff, ok := odf[strings.TrimSpace(string(b))]; ok {
			return ff, ""
		}
	}
	return format{}, "file: type application/zip is not allowed; " + allowedText
}

// cleanName keeps a file name safe to show and to send back in a
// Content-Disposition: its last path element, letters, digits and a few
// marks, at most 100 characters, ending with the extension of what the
// file really is.
func cleanName(name string, f format) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.TrimSuffix(name, path.Ext(name))
	var b strings.Builder
	dash := false
	for _, r := range name {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.'
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = false
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), "-.")
	if r := []rune(s); len(r) > 100 {
		s = strings.Trim(string(r[:100]), "-.")
	}
	if s == "" {
		s = "file"
	}
	return s + f.ext
}
