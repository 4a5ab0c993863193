package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/andybalholm/brotli"
)

// acceptEncoding lists the encodings undox decompresses itself, under bounds.
const acceptEncoding = "gzip, deflate, br"

// ratioGrace is how far a body may decompress before the ratio bound applies:
// small, highly compressible pages are normal.
const ratioGrace = 1 << 20

var errWireLimit = errors.New("wire limit reached")

// meter counts and bounds the body bytes as they come off the connection.
type meter struct {
	r   io.Reader
	n   atomic.Int64
	max int64
	err error // the connection's own error, if it failed (not io.EOF)
}

func (m *meter) Read(p []byte) (int, error) {
	n := m.n.Load()
	if n > m.max {
		return 0, errWireLimit
	}
	if rem := m.max + 1 - n; int64(len(p)) > rem {
		p = p[:rem]
	}
	k, err := m.r.Read(p)
	m.n.Add(int64(k))
	if err != nil && err != io.EOF {
		m.err = err
	}
	if err == nil && n+int64(k) > m.max {
		err = errWireLimit
	}
	return k, err
}

// decoders wraps r to undo the content codings in header (in reverse order of
// application). It reports false, and returns r itself, for a coding it does
// not know: the body is then kept as sent.
func decoders(header string, r io.Reader) (io.Reader, bool, error) {
	var codings []string
	for _, c := range strings.Split(header, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	for _, c := range codings {
		switch c {
		case "gzip", "x-gzip", "deflate", "br":
		default:
			return r, false, nil
		}
	}
	for _, c := range slices.Backward(codings) {
		switch c {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, true, err
			}
			r = zr
		case "deflate":
			// "deflate" should be zlib; some servers send raw deflate.
			br := bufio.NewReader(r)
			if h, err := br.Peek(2); err == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
				zr, err := zlib.NewReader(br)
				if err != nil {
					return nil, true, err
				}
				r = zr
			} else {
				r = flate.NewReader(br)
			}
		case "br":
			r = brotli.NewReader(r)
		}
	}
	return r, true, nil
}

// readBody reads the final response's body into res under every bound: size on
// the wire and decompressed, decompression ratio, and transfer rate.
func (f *Fetcher) readBody(hopCtx context.Context, cancelHop context.CancelCauseFunc, resp *http.Response, res *Result) *Error {
	limit := f.cfg.MaxBodyBytes
	m := &meter{r: resp.Body, max: limit}

	if rate := f.cfg.MinBytesPerSecond; rate > 0 {
		// Every window, the body must have grown by need bytes (a timer,
		// not a goroutine per fetch).
		window := f.cfg.MinRateWindow
		need := max(int64(float64(rate)*window.Seconds()), 1)
		var (
			mu      sync.Mutex
			stopped bool
			last    int64
			t       *time.Timer
		)
		check := func() {
			mu.Lock()
			defer mu.Unlock()
			if stopped {
				return
			}
			n := m.n.Load()
			if n-last < need {
				cancelHop(errTooSlow)
				return
			}
			last = n
			t.Reset(window)
		}
		mu.Lock()
		t = time.AfterFunc(window, check)
		mu.Unlock()
		defer func() {
			mu.Lock()
			stopped = true
			t.Stop()
			mu.Unlock()
		}()
	}

	res.ContentEncoding = strings.Join(resp.Header.Values("Content-Encoding"), ", ")
	r, decoded, err := decoders(res.ContentEncoding, m)
	res.Decoded = decoded
	compressed := decoded && r != io.Reader(m)
	var chunks [][]byte
	var total int64
	bomb := false
	if err == nil {
		size := int64(32 << 10)
		if !compressed && resp.ContentLength >= 0 {
			size = resp.ContentLength + 1
		}
		for err == nil && total <= limit {
			if len(chunks) == 0 || len(chunks[len(chunks)-1]) == cap(chunks[len(chunks)-1]) {
				chunks = append(chunks, make([]byte, 0, min(size, limit+1-total)))
				size = min(max(size, 32<<10)*2, 1<<20)
			}
			c := &chunks[len(chunks)-1]
			var k int
			k, err = r.Read((*c)[len(*c):cap(*c)])
			*c = (*c)[:len(*c)+k]
			total += int64(k)
			if compressed && f.cfg.MaxDecompressRatio > 0 && total > ratioGrace &&
				total > int64(f.cfg.MaxDecompressRatio)*max(m.n.Load(), 1) {
				bomb = true
				break
			}
		}
	}

	var body []byte
	if len(chunks) == 1 && int64(cap(chunks[0]))-min(total, limit) <= 4096 {
		// Read into one buffer of about the right size (the
		// Content-Length was right): keep it.
		body = chunks[0][:min(total, limit)]
	} else {
		body = make([]byte, 0, min(total, limit))
		for _, c := range chunks {
			body = append(body, c[:min(int64(len(c)), limit-int64(len(body)))]...)
		}
	}
	chunks = nil
	res.Body = body
	res.WireBytes = m.n.Load()
	res.Truncated = total > limit || bomb || (err != nil && err != io.EOF)

	switch {
	case bomb:
		return newError(TooLarge, nil, "the body decompresses to more than %d times its size (a compression bomb); cut off at %d bytes",
			f.cfg.MaxDecompressRatio, total)
	case total > limit:
		return newError(TooLarge, nil, "the body is larger than %d bytes; the first %d are kept", limit, limit)
	case err == nil, err == io.EOF:
		return nil
	case errors.Is(err, errWireLimit):
		return newError(TooLarge, nil, "more than %d bytes of body were sent", limit)
	case hopCtx.Err() != nil:
		return f.classify(err, hopCtx)
	case m.err != nil:
		switch {
		case errors.Is(m.err, io.ErrUnexpectedEOF):
			return newError(ConnectionFailed, m.err, "the connection closed before the body was complete (%d bytes received)", res.WireBytes)
		case errors.Is(m.err, syscall.ECONNRESET):
			return newError(ConnectionFailed, m.err, "the connection was reset mid-body (%d bytes received)", res.WireBytes)
		}
		return f.classify(m.err, hopCtx)
	default:
		return newError(BadResponse, err, "the body could not be decoded (Content-Encoding %q): %v", res.ContentEncoding, err)
	}
}

// describeBody fills in the hash, media type, charset and text of res.Body.
func (f *Fetcher) describeBody(res *Result) {
	sum := sha256.Sum256(res.Body)
	res.SHA256 = hex.EncodeToString(sum[:])
	res.Size = int64(len(res.Body))

	mt, _, err := mime.ParseMediaType(res.ContentType)
	declared := err == nil && mt != ""
	if !declared || mt == "application/octet-stream" || mt == "binary/octet-stream" || mt == "application/unknown" {
		if len(res.Body) > 0 && res.Decoded {
			mt, _, _ = mime.ParseMediaType(sniff(res.Body))
		}
	}
	res.MediaType = mt
	if !res.Decoded || !isTextual(mt) {
		return
	}
	ct := res.ContentType
	if !declared {
		ct = mt
	}
	res.Text, res.Charset, res.CharsetSource = decodeText(res.Body, ct, res.Truncated)
}

func sniff(b []byte) string {
	if len(b) > 512 {
		b = b[:512]
	}
	return http.DetectContentType(b)
}

func isTextual(mt string) bool {
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "+json") {
		return true
	}
	switch mt {
	case "application/xml", "application/json", "application/javascript", "application/x-javascript",
		"application/ecmascript", "application/ld+json", "application/x-www-form-urlencoded":
		return true
	}
	return false
}
