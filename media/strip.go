package media

import (
	"bytes"
	"encoding/binary"
)

// A camera or phone writes where a photo was taken into its EXIF and
// XMP (APP1) and IPTC (APP13) segments; published as is, a press photo
// would tell anyone where the photographer stood, and when. The original
// a release serves keeps its pixels untouched and loses those segments;
// only the orientation, which browsers need to show it upright, is
// written back in an EXIF segment of its own. The colour profile (APP2)
// stays.

// stripJPEG returns data without its APP1 and APP13 segments, with a
// minimal EXIF segment holding orientation o when o turns the photo.
// Data it cannot walk is returned as it is: decoding has read it already.
func stripJPEG(data []byte, o int) []byte {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return data
	}
	var out bytes.Buffer
	out.Grow(len(data))
	out.Write(data[:2])
	wroteOrientation := o <= 1
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return data
		}
		marker := data[i+1]
		if marker == 0xff || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			out.WriteByte(data[i])
			i++
			continue
		}
		if marker == 0xda || marker == 0xd9 {
			if !wroteOrientation {
				out.Write(exifOrientation(o))
			}
			out.Write(data[i:]) // the scans, untouched
			return out.Bytes()
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return data
		}
		seg := data[i : i+2+n]
		i += 2 + n
		if marker == 0xe1 || marker == 0xed {
			continue
		}
		// EXIF goes after the JFIF header when there is one.
		if !wroteOrientation && marker != 0xe0 {
			out.Write(exifOrientation(o))
			wroteOrientation = true
		}
		out.Write(seg)
	}
	return data
}

// exifOrientation is an APP1 segment whose EXIF holds only the
// Orientation tag.
func exifOrientation(o int) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, binary.BigEndian, uint32(8))      // the first IFD
	binary.Write(&tiff, binary.BigEndian, uint16(1))      // one entry
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112)) // Orientation
	binary.Write(&tiff, binary.BigEndian, uint16(3))      // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))
	binary.Write(&tiff, binary.BigEndian, uint16(o))
	binary.Write(&tiff, binary.BigEndian, uint16(0))
	binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}
