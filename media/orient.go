package media

import (
	"bytes"
	"encoding/binary"
	"image"
)

// A phone stores a photo as its sensor saw it and says in the EXIF
// Orientation tag how to turn it; browsers turn the original as told.
// Renditions carry no EXIF, so they are turned when made, or a portrait
// would show lying on its side.

// jpegOrientation reads the EXIF Orientation (1 to 8) of a JPEG; 1, as
// is, when there is none or it cannot be read.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 || marker == 0xff {
			i++ // no length: standalone markers and fill bytes
			continue
		}
		if marker == 0xda || marker == 0xd9 {
			return 1 // the image data starts: no EXIF before it
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in the first IFD of a TIFF header.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(order.Uint16(t[ifd:]))
	for e := 0; e < count; e++ {
		p := ifd + 2 + e*12
		if p+12 > len(t) {
			return 1
		}
		if order.Uint16(t[p:]) == 0x0112 && order.Uint16(t[p+2:]) == 3 {
			if o := int(order.Uint16(t[p+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// turns reports whether orientation o swaps width and height.
func turns(o int) bool { return o >= 5 }

// orient turns img as orientation o says: the picture a browser shows.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	ow, oh := w, h
	if turns(o) {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored upside down
				dx, dy = x, h-1-y
			case 5: // mirrored, turned a quarter anticlockwise
				dx, dy = y, x
			case 6: // turned a quarter clockwise to read
				dx, dy = h-1-y, x
			case 7: // mirrored, turned a quarter clockwise
				dx, dy = h-1-y, w-1-x
			case 8: // turned a quarter anticlockwise to read
				dx, dy = y, w-1-x
			}
			si, di := img.PixOffset(x, y), out.PixOffset(dx, dy)
			copy(out.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return out
}
