package media

import (
	"image"
	"image/color"
	"math"
)

// shrink scales src down to w × h pixels, each the average of the
// source area it covers, edges weighted by how much of them it covers:
// the right filter for making photos smaller. It reads the source a row
// at a time and keeps only one row of the result in progress, so that
// its memory is the result's and not a multiple of the source's: a
// two-pass resampler holds an intermediate image of the result's width
// and the source's height, hundreds of megabytes for a large photo.
// Colours are averaged premultiplied, so transparent pixels lend none
// of their colour. w and h must not exceed the source's.
func shrink(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sx, sy := float64(sw)/float64(w), float64(sh)/float64(h)

	// taps[x] are the source columns destination column x covers, with
	// the share of each; together they weigh sx.
	type tap struct {
		first   int
		weights []float32
	}
	taps := make([]tap, w)
	for x := range taps {
		lo, hi := float64(x)*sx, float64(x+1)*sx
		first, last := int(lo), min(int(math.Ceil(hi)), sw)
		ws := make([]float32, last-first)
		for i := first; i < last; i++ {
			ws[i-first] = float32(min(hi, float64(i+1)) - max(lo, float64(i)))
		}
		taps[x] = tap{first, ws}
	}

	row := make([]float32, sw*4)
	across := make([]float32, w*4)
	acc := make([]float32, w*4)
	norm := float32(1 / (sx * sy))
	flush := func(j int) {
		out := dst.Pix[j*dst.Stride : j*dst.Stride+w*4]
		for i, v := range acc {
			out[i] = uint8(min(255, max(0, v*norm+0.5)))
			acc[i] = 0
		}
	}
	j := 0
	for y := 0; y < sh && j < h; y++ {
		readRow(src, b.Min.X, b.Min.Y+y, row)
		for x, t := range taps {
			var r, g, bl, a float32
			for i, wt := range t.weights {
				p := row[(t.first+i)*4 : (t.first+i)*4+4]
				r, g, bl, a = r+p[0]*wt, g+p[1]*wt, bl+p[2]*wt, a+p[3]*wt
			}
			across[x*4], across[x*4+1], across[x*4+2], across[x*4+3] = r, g, bl, a
		}
		// Source row y spans [y, y+1); destination row j spans
		// [j·sy, (j+1)·sy). A source row may finish one destination row
		// and start the next.
		top, bottom := float64(y), float64(y+1)
		for j < h {
			start, end := float64(j)*sy, float64(j+1)*sy
			if share := float32(min(bottom, end) - max(top, start)); share > 0 {
				for i, v := range across {
					acc[i] += v * share
				}
			}
			if end > bottom+1e-9 {
				break
			}
			flush(j)
			j++
		}
	}
	for ; j < h; j++ {
		flush(j) // rounding left the last row short of its end
	}
	return dst
}

// readRow reads row y of src, from column x0, as premultiplied RGBA
// floats (0 to 255). The image types decoders return are read directly;
// others through their colour model.
func readRow(src image.Image, x0, y int, row []float32) {
	n := len(row) / 4
	switch s := src.(type) {
	case *image.YCbCr:
		for x := range n {
			yi, ci := s.YOffset(x0+x, y), s.COffset(x0+x, y)
			r, g, b := color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = float32(r), float32(g), float32(b), 255
		}
	case *image.RGBA:
		pix := s.Pix[s.PixOffset(x0, y):]
		for i := range n * 4 {
			row[i] = float32(pix[i])
		}
	case *image.NRGBA:
		pix := s.Pix[s.PixOffset(x0, y):]
		for x := range n {
			a := float32(pix[x*4+3]) / 255
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = float32(pix[x*4])*a, float32(pix[x*4+1])*a, float32(pix[x*4+2])*a, float32(pix[x*4+3])
		}
	case *image.Gray:
		pix := s.Pix[s.PixOffset(x0, y):]
		for x := range n {
			v := float32(pix[x])
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = v, v, v, 255
		}
	default:
		for x := range n {
			r, g, b, a := src.At(x0+x, y).RGBA()
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = float32(r>>8), float32(g>>8), float32(b>>8), float32(a>>8)
		}
	}
}
