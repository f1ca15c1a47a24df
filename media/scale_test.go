package media

import (
	"image"
	"image/color"
	"testing"
)

func TestShrinkAveragesWhatEachPixelCovers(t *testing.T) {
	// A 1-pixel checkerboard halved is an even grey.
	check := image.NewGray(image.Rect(0, 0, 8, 6))
	for y := range 6 {
		for x := range 8 {
			if (x+y)%2 == 0 {
				check.SetGray(x, y, color.Gray{255})
			}
		}
	}
	out := shrink(check, 4, 3)
	for y := range 3 {
		for x := range 4 {
			if c := out.RGBAAt(x, y); c.R < 127 || c.R > 128 || c.A != 255 {
				t.Fatalf("checkerboard at %d,%d: %v", x, y, c)
			}
		}
	}
	// Three columns into two: the middle one is shared half and half.
	cols := image.NewRGBA(image.Rect(0, 0, 3, 1))
	cols.SetRGBA(0, 0, color.RGBA{0, 0, 0, 255})
	cols.SetRGBA(1, 0, color.RGBA{90, 90, 90, 255})
	cols.SetRGBA(2, 0, color.RGBA{180, 180, 180, 255})
	out = shrink(cols, 2, 1)
	// (0·1 + 90·0.5) / 1.5 = 30; (90·0.5 + 180·1) / 1.5 = 150.
	if a, b := out.RGBAAt(0, 0).R, out.RGBAAt(1, 0).R; a != 30 || b != 150 {
		t.Errorf("columns shared: %d, %d, want 30, 150", a, b)
	}
	// Transparent pixels lend no colour.
	half := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	half.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	half.SetNRGBA(1, 0, color.NRGBA{0, 255, 0, 0})
	half.SetNRGBA(0, 1, color.NRGBA{255, 0, 0, 255})
	half.SetNRGBA(1, 1, color.NRGBA{0, 0, 255, 0})
	px := color.NRGBAModel.Convert(shrink(half, 1, 1).RGBAAt(0, 0)).(color.NRGBA)
	if px.R < 254 || px.G != 0 || px.B != 0 || px.A < 127 || px.A > 128 {
		t.Errorf("half transparent red: %v", px)
	}
	// The same size is the same picture.
	same := shrink(cols, 3, 1)
	for x := range 3 {
		if same.RGBAAt(x, 0) != cols.RGBAAt(x, 0) {
			t.Errorf("unscaled column %d: %v, want %v", x, same.RGBAAt(x, 0), cols.RGBAAt(x, 0))
		}
	}
}
