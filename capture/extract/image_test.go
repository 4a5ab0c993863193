package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// scene draws a picture of w×h: a gradient sky, a dark disc and a bright
// block whose places depend on variant, as a photograph would have large
// shapes.
func scene(w, h int, variant int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := 0.3, 0.4, 0.2
	bx0, by0, bx1, by1 := 0.6, 0.5, 0.9, 0.9
	if variant == 1 {
		cx, cy, r = 0.75, 0.7, 0.25
		bx0, by0, bx1, by1 = 0.05, 0.05, 0.45, 0.3
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			var c color.RGBA
			if variant == 1 {
				c = color.RGBA{uint8(40 + 180*fy), uint8(200 - 150*fx), 90, 255} // another sky
			} else {
				c = color.RGBA{uint8(60 + 150*fx), uint8(100 + 100*fy), 220, 255}
			}
			if math.Hypot(fx-cx, (fy-cy)*float64(h)/float64(w)) < r {
				c = color.RGBA{20, 30, 25, 255}
			}
			if fx > bx0 && fx < bx1 && fy > by0 && fy < by1 {
				c = color.RGBA{250, 240, 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, img, &gif.Options{NumColors: 256, Quantizer: nil, Drawer: draw.FloydSteinberg}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func resized(img image.Image, w, h int) image.Image {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(out, out.Bounds(), img, img.Bounds(), draw.Src, nil)
	return out
}

func hashes(t *testing.T, data []byte) ImageInfo {
	t.Helper()
	info, err := ImageHashes(data)
	if err != nil {
		t.Fatalf("ImageHashes: %v", err)
	}
	return info
}

func TestNearDuplicatesHashClose(t *testing.T) {
	orig := scene(640, 480, 0)
	a := hashes(t, encodePNG(t, orig))
	if a.Format != "png" || a.Width != 640 || a.Height != 480 || len(a.SHA256) != 64 {
		t.Fatalf("info: %+v", a)
	}

	// The same picture, as it is reposted: smaller, re-encoded, as a GIF.
	for name, data := range map[string][]byte{
		"half-size JPEG at quality 40": encodeJPEG(t, resized(orig, 320, 240), 40),
		"JPEG at quality 75":           encodeJPEG(t, orig, 75),
		"GIF, 256 colours, dithered":   encodeGIF(t, resized(orig, 400, 300)),
		"PNG squashed to 300×300":      encodePNG(t, resized(orig, 300, 300)),
	} {
		b := hashes(t, data)
		if b.SHA256 == a.SHA256 {
			t.Errorf("%s: same SHA-256", name)
		}
		if d := Distance(a.PHash, b.PHash); d > 8 {
			t.Errorf("%s: pHash distance %d, want ≤ 8", name, d)
		}
		if d := Distance(a.DHash, b.DHash); d > 10 {
			t.Errorf("%s: dHash distance %d, want ≤ 10", name, d)
		}
	}

	// Another picture is far.
	c := hashes(t, encodePNG(t, scene(640, 480, 1)))
	if d := Distance(a.PHash, c.PHash); d < 20 {
		t.Errorf("different image: pHash distance %d, want ≥ 20", d)
	}
	if d := Distance(a.DHash, c.DHash); d < 20 {
		t.Errorf("different image: dHash distance %d, want ≥ 20", d)
	}
	if got := HashString(0xab); got != "00000000000000ab" {
		t.Errorf("HashString: %s", got)
	}
}

func TestWebP(t *testing.T) {
	// A two-colour picture, as lossless WebP and as PNG.
	bw := image.NewGray(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			if (x-30)*(x-30)+(y-30)*(y-30) < 400 || (x > 60 && y > 20 && y < 50) {
				bw.SetGray(x, y, color.Gray{255})
			}
		}
	}
	w := hashes(t, encodeVP8L(bw))
	p := hashes(t, encodePNG(t, bw))
	if w.Format != "webp" || w.Width != 96 || w.Height != 64 {
		t.Fatalf("webp info: %+v", w)
	}
	if w.PHash != p.PHash || w.DHash != p.DHash {
		t.Errorf("the same picture hashes apart: webp %x/%x, png %x/%x", w.PHash, w.DHash, p.PHash, p.DHash)
	}
	if _, err := Blur(encodeVP8L(bw)); err != nil {
		t.Errorf("Blur of a WebP: %v", err)
	}
}

func TestBombHeadersRejectedBeforeDecoding(t *testing.T) {
	for name, data := range map[string][]byte{
		"PNG 100000×100000":      pngHeader(100000, 100000),
		"GIF 65535×65535":        gifHeader(65535, 65535),
		"JPEG 65000×65000":       jpegHeader(65000, 65000),
		"WebP VP8X 16384×16384":  webpVP8XHeader(16384, 16384),
		"PNG 1×50000000 (thin)":  pngHeader(1, 50_000_000),
		"PNG 40000001×1 (wide!)": pngHeader(40_000_001, 1),
	} {
		_, err := ImageHashes(data)
		if !errors.Is(err, ErrImageTooLarge) {
			t.Errorf("%s: %v, want ErrImageTooLarge", name, err)
		}
		if _, err := Blur(data); !errors.Is(err, ErrImageTooLarge) {
			t.Errorf("Blur %s: %v, want ErrImageTooLarge", name, err)
		}
	}

	// A real image over a lower bound is refused too; under it, decoded.
	data := encodePNG(t, scene(100, 100, 0))
	if _, err := (ImageLimits{MaxPixels: 9999}).ImageHashes(data); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("100×100 under a bound of 9999 pixels: %v", err)
	}
	if _, err := (ImageLimits{MaxPixels: 10000}).ImageHashes(data); err != nil {
		t.Errorf("100×100 under a bound of 10000 pixels: %v", err)
	}
}

func TestBadImages(t *testing.T) {
	good := encodePNG(t, scene(50, 40, 0))
	for name, data := range map[string][]byte{
		"empty":       nil,
		"HTML":        []byte("<html>not an image</html>"),
		"SVG":         []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"truncated":   good[:len(good)/2],
		"header only": pngHeader(10, 10),
		"zero size":   gifHeader(0, 0),
		"JPEG magic":  []byte("\xff\xd8\xff\xe0garbage"),
		"RIFF":        []byte("RIFF\x04\x00\x00\x00WEBPVP8 "),
	} {
		if _, err := ImageHashes(data); err == nil {
			t.Errorf("%s: no error", name)
		} else if !errors.Is(err, ErrImageInvalid) && !errors.Is(err, ErrImageFormat) {
			t.Errorf("%s: %v, want ErrImageInvalid or ErrImageFormat", name, err)
		}
	}
	// A failed decode gives its share of the decoding budget back: were
	// it kept, the second 36-megapixel image would wait for ever.
	for range 5 {
		if _, err := ImageHashes(pngHeader(6000, 6000)); !errors.Is(err, ErrImageInvalid) {
			t.Errorf("6000×6000 PNG without pixels: %v", err)
		}
	}
	// Tiny images hash without trouble.
	for _, size := range [][2]int{{1, 1}, {1, 300}, {300, 1}, {2, 2}} {
		hashes(t, encodePNG(t, scene(size[0], size[1], 0)))
		if _, err := Blur(encodePNG(t, scene(size[0], size[1], 0))); err != nil {
			t.Errorf("Blur %v: %v", size, err)
		}
	}
}

func TestBlurHidesTheImage(t *testing.T) {
	// A page of fine detail: text-like stripes one pixel wide.
	src := image.NewGray(image.Rect(0, 0, 800, 600))
	for y := range 600 {
		for x := range 800 {
			if (x/2+y/3)%2 == 0 {
				src.SetGray(x, y, color.Gray{255})
			}
		}
	}
	src.Set(400, 300, color.Gray{0})
	out, err := Blur(encodeJPEG(t, src, 90))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("Blur's output is no PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 512 || b.Dy() != 384 {
		t.Errorf("blurred size %v, want 512×384 (the longer side bounded to 512)", b)
	}
	// The stripes are gone: every pixel is the mean grey, give or take.
	// And it is made of blocks: at most 16×12 distinct cells.
	colours := map[color.Color]bool{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			if c.Y < 90 || c.Y > 165 {
				t.Fatalf("pixel %d,%d is %d: detail survives the blur", x, y, c.Y)
			}
			colours[img.At(x, y)] = true
		}
	}
	if len(colours) > 16*12 {
		t.Errorf("%d colours, want at most one a cell", len(colours))
	}

	// A small image keeps its size, pixelated all the same.
	out, err = Blur(encodePNG(t, scene(64, 48, 0)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := png.DecodeConfig(bytes.NewReader(out))
	if cfg.Width != 64 || cfg.Height != 48 {
		t.Errorf("small image blurred to %d×%d", cfg.Width, cfg.Height)
	}
}

func FuzzImageHashes(f *testing.F) {
	img := scene(16, 12, 0)
	var pal bytes.Buffer
	pimg := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(pimg, pimg.Bounds(), img, image.Point{}, draw.Src)
	_ = gif.Encode(&pal, pimg, nil)
	f.Add(encodePNG(f, img))
	f.Add(encodeJPEG(f, img, 50))
	f.Add(pal.Bytes())
	f.Add(encodeVP8L(image.NewGray(image.Rect(0, 0, 5, 3))))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := ImageLimits{MaxPixels: 1 << 20}
		if info, err := lim.ImageHashes(data); err == nil && int64(info.Width)*int64(info.Height) > 1<<20 {
			t.Fatalf("decoded %d×%d over the bound", info.Width, info.Height)
		}
		_, _ = lim.Blur(data)
	})
}

// pngHeader returns a PNG signature and IHDR declaring w×h RGBA pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b.Write(binary.BigEndian.AppendUint32(nil, 13))
	b.Write(ihdr)
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(ihdr)))
	return b.Bytes()
}

func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0)
}

func jpegHeader(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8}
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	return append(b, 0xff, 0xda, 0, 12) // start of scan: the pixels would follow
}

func webpVP8XHeader(w, h uint32) []byte {
	chunk := []byte{0, 0, 0, 0}
	chunk = append(chunk, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	chunk = append(chunk, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	return riff("VP8X", chunk)
}

func riff(fourcc string, chunk []byte) []byte {
	body := []byte("WEBP" + fourcc)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(chunk)))
	body = append(body, chunk...)
	if len(chunk)%2 == 1 {
		body = append(body, 0)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// encodeVP8L encodes a black-and-white picture (grey levels under 128 are
// black) as lossless WebP: no transform, no colour cache, and "simple"
// prefix codes of two symbols (0 and 255) for green, red and blue, of one
// for alpha (255) and distance, so that each pixel takes 3 bits.
func encodeVP8L(img *image.Gray) []byte {
	var bw bitWriter
	b := img.Bounds()
	bw.write(uint32(b.Dx()-1), 14)
	bw.write(uint32(b.Dy()-1), 14)
	bw.write(0, 1) // alpha_is_used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	twoSymbols := func() {
		bw.write(1, 1) // simple code
		bw.write(1, 1) // two symbols
		bw.write(1, 1) // the first of 8 bits
		bw.write(0, 8)
		bw.write(255, 8)
	}
	oneSymbol := func(s uint32) {
		bw.write(1, 1)
		bw.write(0, 1)
		bw.write(1, 1)
		bw.write(s, 8)
	}
	twoSymbols()   // green
	twoSymbols()   // red
	twoSymbols()   // blue
	oneSymbol(255) // alpha
	oneSymbol(0)   // distance
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := uint32(0)
			if img.GrayAt(x, y).Y >= 128 {
				v = 1
			}
			bw.write(v, 1) // green
			bw.write(v, 1) // red
			bw.write(v, 1) // blue
		}
	}
	return riff("VP8L", append([]byte{0x2f}, bw.bytes()...))
}

type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint32, n uint) {
	w.acc |= uint64(v) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		return append(w.buf, byte(w.acc))
	}
	return w.buf
}
