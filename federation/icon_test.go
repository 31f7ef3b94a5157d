package federation

import (
	"bytes"
	"image/png"
	"testing"
)

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"OpenStreetMap": "OS", "Base Adresse Nationale": "BA", "Linux": "L", "XWiki": "XW",
		"Open Food Facts": "OF", "Référentiel national des bâtiments": "RN", "***": "?", "é": "É",
	} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestIcon(t *testing.T) {
	a, err := Icon("OpenStreetMap")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != IconSize || b.Dy() != IconSize {
		t.Errorf("size %v", b)
	}
	// The letters are drawn: the centre row holds white pixels.
	white := 0
	for x := 0; x < IconSize; x++ {
		if r, g, b, _ := img.At(x, IconSize/2).RGBA(); r > 0xf000 && g > 0xf000 && b > 0xf000 {
			white++
		}
	}
	if white == 0 {
		t.Error("no letter crosses the centre line")
	}
	again, _ := Icon("OpenStreetMap")
	if !bytes.Equal(a, again) {
		t.Error("same name, different icon")
	}
}
