package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// Renditions of a photo, made once at upload: pages use them in a
// srcset, so a phone never downloads a 12-megapixel original.
const (
	RenditionOriginal = "original"
	RenditionLarge    = "large"
	RenditionSmall    = "small"
)

// Rendition widths: a photo narrower than smallWidth gets one rendition
// at its own size; one narrower than largeWidth gets its large one at
// its own size.
const (
	smallWidth = 400
	largeWidth = 1600
)

// Rendition is one stored file of a media item.
type Rendition struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// encoded is a rendition with its bytes, before it is stored.
type encoded struct {
	Rendition
	data []byte
	img  image.Image
}

// imageConfig reads an image's dimensions from its header alone, and
// refuses one too large to decode safely.
func imageConfig(data []byte, f format) (image.Config, string) {
	var cfg image.Config
	var err error
	r := bytes.NewReader(data)
	switch f {
	case formatJPEG:
		cfg, err = jpeg.DecodeConfig(r)
	case formatPNG:
		cfg, err = png.DecodeConfig(r)
	case formatGIF:
		cfg, err = gif.DecodeConfig(r)
	case formatWebP:
		cfg, err = webp.DecodeConfig(r)
	}
	if err != nil {
		return cfg, fmt.Sprintf("file: the %s image cannot be read: %v", f.ext[1:], err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, "file: the image has no pixels"
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return cfg, fmt.Sprintf("file: %d × %d pixels is more than the %d megapixels allowed", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	return cfg, ""
}

func decode(data []byte, f format) (image.Image, error) {
	r := bytes.NewReader(data)
	switch f {
	case formatJPEG:
		return jpeg.Decode(r)
	case formatPNG:
		return png.Decode(r)
	case formatGIF:
		// The first frame of an animation: renditions are still images.
		return gif.Decode(r)
	case formatWebP:
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("media: cannot decode %s", f.contentType)
}

// renditions decodes a photo and scales it to each rendition width.
// Opaque photos become JPEG; one with transparency stays PNG, which keeps
// it.
func renditions(data []byte, f format) ([]encoded, string) {
	src, err := decode(data, f)
	if err != nil {
		return nil, fmt.Sprintf("file: the %s image cannot be read: %v", f.ext[1:], err)
	}
	opaque := isOpaque(src)
	o := orientation(data, f)
	width := src.Bounds().Dx()
	if turns(o) {
		width = src.Bounds().Dy()
	}
	var out []encoded
	from, fromO := image.Image(src), o
	if width > smallWidth {
		large, err := scale(src, o, min(largeWidth, width), opaque)
		if err != "" {
			return nil, err
		}
		large.Name = RenditionLarge
		out = append(out, large)
		// The small one is scaled from the large, turned already: much
		// less to read.
		from, fromO, width = large.img, 1, large.Width
	}
	small, msg := scale(from, fromO, min(smallWidth, width), opaque)
	if msg != "" {
		return nil, msg
	}
	small.Name = RenditionSmall
	return append([]encoded{small}, out...), ""
}

// orientation is how a photo is to be turned (see orient.go); only
// JPEGs say.
func orientation(data []byte, f format) int {
	if f == formatJPEG {
		return jpegOrientation(data)
	}
	return 1
}

// scale draws src, turned as orientation o says, w pixels wide, and
// encodes it.
func scale(src image.Image, o, w int, opaque bool) (encoded, string) {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if turns(o) {
		sw, sh = sh, sw
	}
	h := max(1, int(int64(sh)*int64(w)/int64(sw)))
	var dst *image.RGBA
	if turns(o) {
		dst = orient(shrink(src, h, w), o)
	} else {
		dst = orient(shrink(src, w, h), o)
	}
	var buf bytes.Buffer
	ct := "image/jpeg"
	var err error
	if opaque {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85})
	} else {
		ct = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst)
	}
	if err != nil {
		return encoded{}, fmt.Sprintf("file: the image cannot be scaled: %v", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return encoded{Rendition: Rendition{ContentType: ct, Width: w, Height: h, Size: int64(buf.Len()),
		SHA256: hex.EncodeToString(sum[:])}, data: buf.Bytes(), img: dst}, ""
}

// isOpaque reports whether every pixel of img is opaque: the image types
// that know say so at once, others are looked at.
func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}
