package federation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// IconSize is the side of generated icons, in pixels: Mastodon shows
// avatars at up to 400 px and scales down.
const IconSize = 400

// iconColours are dark enough for white letters to pass WCAG AA contrast.
var iconColours = []color.RGBA{
	{0x1d, 0x4e, 0x89, 0xff}, // blue
	{0x0b, 0x6e, 0x4f, 0xff}, // green
	{0x8a, 0x2b, 0x2b, 0xff}, // red
	{0x5b, 0x2a, 0x86, 0xff}, // purple
	{0x7a, 0x4a, 0x00, 0xff}, // brown
	{0x00, 0x5f, 0x73, 0xff}, // teal
	{0x3d, 0x3d, 0x3d, 0xff}, // graphite
	{0x9c, 0x27, 0x5c, 0xff}, // magenta
}

var (
	iconFontOnce sync.Once
	iconFont     *opentype.Font
	iconFontErr  error
)

// Icon draws the avatar of an actor that has no logo: its initials in
// white on a colour chosen from its name, as a PNG. The same name always
// gives the same image.
func Icon(name string) ([]byte, error) {
	iconFontOnce.Do(func() { iconFont, iconFontErr = opentype.Parse(gobold.TTF) })
	if iconFontErr != nil {
		return nil, iconFontErr
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	bg := iconColours[h.Sum32()%uint32(len(iconColours))]
	img := image.NewRGBA(image.Rect(0, 0, IconSize, IconSize))
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)

	text := initials(name)
	size := 190.0
	if len([]rune(text)) == 1 {
		size = 240
	}
	face, err := opentype.NewFace(iconFont, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	d := &font.Drawer{Dst: img, Src: image.White, Face: face}
	width := d.MeasureString(text)
	m := face.Metrics()
	// Centre the text box: the baseline sits below the middle by half the
	// cap height (ascent minus the internal leading).
	capHeight := m.CapHeight
	if capHeight == 0 {
		capHeight = m.Ascent * 7 / 10
	}
	d.Dot = fixed.Point26_6{
		X: (fixed.I(IconSize) - width) / 2,
		Y: (fixed.I(IconSize) + capHeight) / 2,
	}
	d.DrawString(text)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// initials are the first letters of the first two words, upper-case; a
// single camel-case word gives its first two capitals ("OpenStreetMap" →
// "OS"), any other single word its first letter.
func initials(name string) string {
	var out []rune
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		rs := []rune(w)
		out = append(out, unicode.ToUpper(rs[0]))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 1 && len(words) == 1 {
		// One word: take its next capital ("OpenStreetMap" → "OS"), else
		// its first letter alone.
		for _, r := range []rune(words[0])[1:] {
			if unicode.IsUpper(r) {
				out = append(out, r)
				break
			}
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// iconDrawing names the way Icon draws: change it with the drawing, so
// that every generated icon gets a new URL.
const iconDrawing = "initials-1"

// IconURL is the URL of the generated icon of the record actor id whose
// name is name. It carries a hash of what the icon is drawn from, so a
// renamed record gets a new URL and servers fetch the new avatar rather
// than keep the old one.
func IconURL(id, name string) string {
	sum := sha256.Sum256([]byte(iconDrawing + "\x00" + name))
	return id + "/icon.png?v=" + hex.EncodeToString(sum[:6])
}
