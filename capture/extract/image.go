package extract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/bits"

	"github.com/corona10/goimagehash"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"
	"golang.org/x/sync/semaphore"
)

// DefaultMaxPixels bounds the size of an image that is decoded: an image
// whose header declares more pixels is refused before it is decoded (a
// decompression bomb declares a huge size in a small file).
const DefaultMaxPixels = 40_000_000

// Decoding takes memory in proportion to the pixels (from 4 bytes a pixel
// for PNG to about 7.5 for a progressive JPEG). The decodes of the whole
// process share a budget of DefaultMaxPixels, so that however many
// captures run at once, the images being decoded hold at most as many
// pixels as one of the largest allowed.
var decodeBudget = semaphore.NewWeighted(DefaultMaxPixels)

// Errors of image functions.
var (
	// ErrImageFormat is returned for data that is not PNG, JPEG, GIF or WebP.
	ErrImageFormat = errors.New("extract: not a PNG, JPEG, GIF or WebP image")
	// ErrImageTooLarge is returned for an image whose header declares more
	// pixels than allowed, before decoding it.
	ErrImageTooLarge = errors.New("extract: image too large")
	// ErrImageInvalid is returned for an image that cannot be decoded.
	ErrImageInvalid = errors.New("extract: invalid image")
)

// ImageInfo describes one image.
type ImageInfo struct {
	SHA256 string `json:"sha256"` // hex, of the bytes as given
	Format string `json:"format"` // png, jpeg, gif, webp
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// PHash is the 64-bit perceptual hash (DCT of 32×32 grey levels, as
	// in goimagehash.PerceptionHash) and DHash the 64-bit difference hash.
	// Two images that look alike (resized, re-encoded, slightly changed)
	// have hashes a small Distance apart: up to about 10 of 64 bits.
	PHash uint64 `json:"phash"`
	DHash uint64 `json:"dhash"`
}

// Distance returns the Hamming distance of two perceptual hashes: the
// number of bits (0–64) in which they differ.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// HashString returns a perceptual hash as 16 hex digits.
func HashString(h uint64) string { return fmt.Sprintf("%016x", h) }

// ImageLimits bound the images that are decoded; zero fields take the
// defaults.
type ImageLimits struct {
	MaxPixels int64
}

func (l ImageLimits) maxPixels() int64 {
	if l.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

// ImageHashes decodes a PNG, JPEG, GIF or WebP image (the first frame of an
// animation) of at most DefaultMaxPixels and returns its hashes.
func ImageHashes(data []byte) (ImageInfo, error) {
	return ImageLimits{}.ImageHashes(data)
}

// ImageHashes decodes an image within the limits l and returns its hashes.
func (l ImageLimits) ImageHashes(data []byte) (info ImageInfo, err error) {
	sum := sha256.Sum256(data)
	info = ImageInfo{SHA256: hex.EncodeToString(sum[:])}
	img, release, err := l.decode(data, func(cfg image.Config, format string) {
		info.Format, info.Width, info.Height = format, cfg.Width, cfg.Height
	})
	if err != nil {
		return info, err
	}
	defer release()
	defer recoverInvalid(&err, info.Format)
	ph, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return info, fmt.Errorf("%w: %v", ErrImageInvalid, err)
	}
	dh, err := goimagehash.DifferenceHash(img)
	if err != nil {
		return info, fmt.Errorf("%w: %v", ErrImageInvalid, err)
	}
	info.PHash, info.DHash = ph.GetHash(), dh.GetHash()
	return info, nil
}

// recoverInvalid turns a panic into ErrImageInvalid. The decoders and
// resamplers are the standard library's, x/image's and goimagehash's, and
// fuzzed; still, hostile data must not take the process down.
func recoverInvalid(err *error, format string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s: panic: %v", ErrImageInvalid, format, r)
	}
}

// Blur pixel sizes: the image is shrunk to blurSide pixels on its longer
// side, then drawn back at up to blurMaxSide pixels.
const (
	blurSide    = 16
	blurMaxSide = 512
)

// Blur returns the image as a PNG so pixelated that nothing in it can be
// made out (faces, text, places), for showing images of minors' cases until
// an analyst chooses to see one: shrunk to 16 pixels on its longer side
// (each an average of the area it covers) and enlarged back to at most 512
// pixels on its longer side.
func Blur(data []byte) ([]byte, error) {
	return ImageLimits{}.Blur(data)
}

// Blur blurs an image within the limits l.
func (l ImageLimits) Blur(data []byte) (out []byte, err error) {
	img, release, err := l.decode(data, nil)
	if err != nil {
		return nil, err
	}
	defer release()
	defer recoverInvalid(&err, "image")
	b := img.Bounds()
	sw, sh := fit(b.Dx(), b.Dy(), blurSide)
	small := image.NewNRGBA(image.Rect(0, 0, sw, sh))
	// BiLinear widens its kernel when it shrinks: every source pixel
	// counts in the small image.
	xdraw.BiLinear.Scale(small, small.Bounds(), img, b, draw.Src, nil)
	ow, oh := b.Dx(), b.Dy()
	if ow > blurMaxSide || oh > blurMaxSide {
		ow, oh = fit(ow, oh, blurMaxSide)
	}
	big := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	xdraw.NearestNeighbor.Scale(big, big.Bounds(), small, small.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, big); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit returns w×h scaled so that its longer side is side, at least 1×1.
func fit(w, h, side int) (int, int) {
	if w >= h {
		return side, max(1, int(int64(h)*int64(side)/int64(w)))
	}
	return max(1, int(int64(w)*int64(side)/int64(h))), side
}

type imageFormat struct {
	name         string
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

var (
	formatPNG  = imageFormat{"png", png.Decode, png.DecodeConfig}
	formatJPEG = imageFormat{"jpeg", jpeg.Decode, jpeg.DecodeConfig}
	formatGIF  = imageFormat{"gif", gif.Decode, gif.DecodeConfig}
	formatWebP = imageFormat{"webp", webp.Decode, webp.DecodeConfig}
)

// sniff returns the format of data from its first bytes; the formats are
// chosen here rather than registered with package image, so that no other
// decoder that some package registers is ever run on hostile data.
func sniff(data []byte) (imageFormat, bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, true
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		return formatJPEG, true
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, true
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP, true
	}
	return imageFormat{}, false
}

// decode decodes data after checking the size its header declares; seen,
// when not nil, is told the header. release gives back the image's share
// of the decoding budget: call it once done with the image.
func (l ImageLimits) decode(data []byte, seen func(image.Config, string)) (img image.Image, release func(), err error) {
	f, ok := sniff(data)
	if !ok {
		return nil, nil, ErrImageFormat
	}
	cfg, err := f.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrImageInvalid, f.name, err)
	}
	if seen != nil {
		seen(cfg, f.name)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, nil, fmt.Errorf("%w: %s of %d×%d pixels", ErrImageInvalid, f.name, cfg.Width, cfg.Height)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > l.maxPixels() {
		return nil, nil, fmt.Errorf("%w: %s of %d×%d pixels, more than %d", ErrImageTooLarge, f.name, cfg.Width, cfg.Height, l.maxPixels())
	}
	weight := min(pixels, DefaultMaxPixels)
	if err := decodeBudget.Acquire(context.Background(), weight); err != nil {
		return nil, nil, err
	}
	done := func() { decodeBudget.Release(weight) }
	defer func() {
		if err != nil {
			done()
		}
	}()
	defer recoverInvalid(&err, f.name)
	img, err = f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrImageInvalid, f.name, err)
	}
	if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > pixels {
		return nil, nil, fmt.Errorf("%w: %s decoded to %v, its header said %d×%d", ErrImageInvalid, f.name, b, cfg.Width, cfg.Height)
	}
	return img, done, nil
}
