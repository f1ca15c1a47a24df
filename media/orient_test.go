package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withOrientation puts an EXIF segment saying orientation o after a
// JPEG's start marker, as a camera writes it (big-endian here).
func withOrientation(t *testing.T, jpg []byte, o uint16) []byte {
	t.Helper()
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))
	binary.Write(&tiff, binary.BigEndian, uint16(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, []uint16{o, 0})
	binary.Write(&tiff, binary.BigEndian, uint32(0))
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// A photo taken holding the phone upright: stored lying, with
// orientation 6. Its renditions stand as the browser shows the original.
func TestRenditionsAreTurnedAsTheCameraSays(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 600, 300))
	for y := range 300 {
		for x := range 600 {
			c := color.RGBA{220, 20, 20, 255} // the left half, red, is the photo's top
			if x >= 300 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	data := withOrientation(t, buf.Bytes(), 6)
	if o := jpegOrientation(data); o != 6 {
		t.Fatalf("orientation %d, want 6", o)
	}
	if o := jpegOrientation(buf.Bytes()); o != 1 {
		t.Fatalf("no EXIF: orientation %d", o)
	}
	files, msg := renditions(data, formatJPEG)
	if msg != "" {
		t.Fatal(msg)
	}
	if len(files) != 1 || files[0].Width != 300 || files[0].Height != 600 {
		t.Fatalf("renditions %+v", files)
	}
	got, err := jpeg.Decode(bytes.NewReader(files[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b.Dx() != 300 || b.Dy() != 600 {
		t.Fatalf("stored %v", b)
	}
	top, bottom := color.RGBAModel.Convert(got.At(150, 50)).(color.RGBA), color.RGBAModel.Convert(got.At(150, 550)).(color.RGBA)
	if top.R < 150 || top.B > 100 || bottom.B < 150 || bottom.R > 100 {
		t.Errorf("top %v, bottom %v: want red on top, blue below", top, bottom)
	}
}

func TestOrientTurnsEachWay(t *testing.T) {
	// 3 × 2 pixels numbered 1 to 6 by rows: 1 2 3 / 4 5 6.
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		src.Pix[i*4] = uint8(i + 1)
	}
	rows := func(img *image.RGBA) []uint8 {
		var out []uint8
		for y := range img.Bounds().Dy() {
			for x := range img.Bounds().Dx() {
				out = append(out, img.RGBAAt(x, y).R)
			}
		}
		return out
	}
	want := map[int]string{
		1: "123456", 2: "321654", 3: "654321", 4: "456123",
		5: "142536", 6: "415263", 7: "635241", 8: "362514",
	}
	for o, w := range want {
		got := rows(orient(src, o))
		s := ""
		for _, v := range got {
			s += string(rune('0' + v))
		}
		if s != w {
			t.Errorf("orientation %d: %s, want %s", o, s, w)
		}
	}
}

// Where a photo was taken does not travel with it: the EXIF, XMP and
// IPTC segments go, the orientation stays, the pixels are untouched.
func TestOriginalsLoseTheirLocation(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 20)), nil); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	app := func(marker byte, payload string) []byte {
		seg := []byte{0xff, marker, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
		return append(seg, payload...)
	}
	camera := withOrientation(t, plain, 8)
	// XMP and IPTC with a location, after the camera's EXIF.
	var tagged []byte
	tagged = append(tagged, camera[:2]...)
	tagged = append(tagged, app(0xe1, "http://ns.adobe.com/xap/1.0/\x00<exif:GPSLatitude>46,12.5N</exif:GPSLatitude>")...)
	tagged = append(tagged, app(0xed, "Photoshop 3.0\x008BIM GPS 46.2044N 6.1432E")...)
	tagged = append(tagged, camera[2:]...)

	got := stripJPEG(tagged, jpegOrientation(tagged))
	if bytes.Contains(got, []byte("GPS")) || bytes.Contains(got, []byte("xap")) {
		t.Errorf("the location stays:\n%q", got[:min(len(got), 200)])
	}
	if o := jpegOrientation(got); o != 8 {
		t.Errorf("orientation %d, want 8", o)
	}
	a, err1 := jpeg.Decode(bytes.NewReader(got))
	b, err2 := jpeg.Decode(bytes.NewReader(plain))
	if err1 != nil || err2 != nil || !bytes.Equal(a.(*image.Gray).Pix, b.(*image.Gray).Pix) {
		t.Errorf("the pixels changed (%v, %v)", err1, err2)
	}
	// Without metadata and orientation, nothing changes.
	if !bytes.Equal(stripJPEG(plain, 1), plain) {
		t.Error("a photo without metadata was rewritten")
	}
}
