package capture

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/capture/extract"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/capture/screenshot"
	"github.com/undox/undox/mirror"
)

// Store is what capture needs from the database.
type Store interface {
	// CaptureTarget returns the item and the live cases that report it.
	CaptureTarget(ctx context.Context, itemID int64) (*undox.CaptureTarget, error)
	// SaveCapture keeps an attempt's captures, their audit entries and
	// the item's outcome in one transaction.
	SaveCapture(ctx context.Context, a undox.CaptureAttempt) (*undox.Item, error)
}

// Config configures the capture of items.
type Config struct {
	Store   Store
	Blobs   blob.Store
	Fetcher *fetch.Fetcher
	// ImageFetcher fetches the images a page shows (default Fetcher); it
	// is usually configured with a smaller body bound.
	ImageFetcher *fetch.Fetcher
	// Shooter takes screenshots; nil: none are taken, and the capture
	// says so.
	Shooter Shooter
	// MaxImages bounds how many images of a page are fetched (default 20;
	// negative: none).
	MaxImages int
	// ImageWorkers is how many images are fetched at once (default 4).
	ImageWorkers int
	// Scanner scans each capture's text for personal data and protected
	// persons (package personal); nil: captures are not scanned.
	Scanner Scanner
	// Printer makes the print of each page's text by which the store
	// recognises copies of confirmed pages (package mirror); nil: no
	// prints, and no page is recognised as a mirror.
	Printer *mirror.Printer
	// Vantage names where undox fetched from (this instance, its outside
	// address where known), for the evidence.
	Vantage string
	Logger  *slog.Logger
}

// Service captures items: it fetches each page once, with its images and a
// screenshot, and keeps the evidence for every case that reports it, under
// that case's key.
type Service struct {
	cfg Config
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	if cfg.ImageFetcher == nil {
		cfg.ImageFetcher = cfg.Fetcher
	}
	if cfg.MaxImages == 0 {
		cfg.MaxImages = 20
	}
	if cfg.ImageWorkers <= 0 {
		cfg.ImageWorkers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}
}

// Fetcher is the page fetcher (trace fetches security.txt through it).
func (s *Service) Fetcher() *fetch.Fetcher { return s.cfg.Fetcher }

// Facts is a capture's full record, kept sealed under the case's key: the
// fetch's evidence (redirect chain with the address of each hop, DNS
// answers and resolver, TLS, headers, sizes, charset), what the page showed
// and where undox stood.
type Facts struct {
	*fetch.Result
	Vantage     string            `json:"vantage"`
	RequestedBy string            `json:"requested_by"`
	Title       string            `json:"title,omitempty"`
	Links       int               `json:"links"`
	Images      []ImageFact       `json:"images"`
	Screenshot  *ScreenshotFact   `json:"screenshot"`
	Error       *Failure          `json:"error,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// ImageFact is one image the page showed.
type ImageFact struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256,omitempty"`
	PHash  string `json:"phash,omitempty"`
	Format string `json:"format,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ScreenshotFact says whether a screenshot was taken (with what the
// browser saw: final URL, size, the requests the address policy refused),
// and if not, why.
type ScreenshotFact struct {
	*screenshot.Result
	Taken  bool   `json:"taken"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Retry is returned when a capture failed in a way that may pass: the job
// tries again later. The attempt is already recorded on the item.
type Retry struct{ Reason string }

func (r *Retry) Error() string { return "capture failed, will retry: " + r.Reason }

// taken is one fetch of a page with everything derived from it, before it
// is stored per case.
type taken struct {
	facts      Facts
	headers    []byte
	body       []byte
	text       []byte
	screenshot []byte
	images     [][]byte // parallel to the images in facts that have a SHA256
	err        error
}

// Item captures one item (a CaptureJob). It returns nil when the item was
// captured, or when there is nothing to capture (referral-only content,
// an item that no live case reports, a closed item); a *Retry when the
// failure may pass; another error when storing failed.
func (s *Service) Item(ctx context.Context, job undox.CaptureJob) error {
	t, err := s.cfg.Store.CaptureTarget(ctx, job.ItemID)
	if err != nil {
		if undox.ErrorCode(err) == undox.ENOTFOUND {
			return nil
		}
		return err
	}
	if t.ReferralOnly {
		return nil // never fetched, whatever asked for it
	}
	switch t.Item.Status {
	case undox.ItemReferred, undox.ItemRejected, undox.ItemClosed, undox.ItemRemoved:
		if job.RequestedBy == "" {
			return nil
		}
	}
	if len(t.Cases) == 0 {
		return nil
	}
	requestedBy := job.RequestedBy
	if requestedBy == "" {
		requestedBy = undox.System.Label()
	}
	tk := s.take(ctx, t.Item.URL, requestedBy, true)
	if ctx.Err() != nil {
		// Stopped (shutdown, job timeout): what was seen is incomplete
		// and says nothing about the page. The job runs again.
		return ctx.Err()
	}

	attempt := undox.CaptureAttempt{ItemID: t.Item.ID, Observe: undox.ObserveCaptured}
	retry := ""
	switch code, status := failureCode(tk), tk.facts.Status; {
	case code != "" && code != string(fetch.TooLarge):
		attempt.Observe = undox.ObserveUnreachable
		attempt.Error = code + ": " + tk.facts.Error.Message
		if retryable(code) {
			retry = attempt.Error
		}
	case status >= 400:
		attempt.Observe = undox.ObserveUnreachable
		attempt.Error = "http_status: the page answered " + strconv.Itoa(status) + " " + http.StatusText(status)
		if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusForbidden {
			retry = attempt.Error
		}
	}
	if tk.facts.Result != nil {
		attempt.Headers = cdnHeaders(tk.facts.Header)
	}
	scans := map[bool]*undox.ScanResult{} // by minor: the rest is the same for every case
	textPrint := s.print(tk)
	for _, c := range t.Cases {
		rec, err := s.keep(ctx, tk, c)
		if err != nil {
			return fmt.Errorf("capture: storing evidence for case %s: %w", c.Ref, err)
		}
		rec.RequestedBy = requestedBy
		if s.cfg.Scanner != nil && tk.text != nil {
			sc := scans[c.IsMinor]
			if sc == nil {
				if sc, err = s.cfg.Scanner.Scan(ctx, string(tk.text), c.IsMinor, len(fileKinds(rec.Files, undox.FileImage))); err != nil {
					return fmt.Errorf("capture: scanning: %w", err)
				}
				scans[c.IsMinor] = sc
			}
			rec.Scan = sc
		}
		rec.TextPrint = textPrint
		attempt.Captures = append(attempt.Captures, rec)
	}
	if _, err := s.cfg.Store.SaveCapture(ctx, attempt); err != nil {
		return err
	}
	if retry != "" {
		return &Retry{Reason: retry}
	}
	// A case that linked the item meanwhile found this job waiting and
	// queued none of its own: it must not go without evidence.
	now, err := s.cfg.Store.CaptureTarget(ctx, job.ItemID)
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, c := range t.Cases {
		seen[c.ID] = true
	}
	for _, c := range now.Cases {
		if !seen[c.ID] {
			return ErrNewCases
		}
	}
	return nil
}

// ErrNewCases says that cases linked the item while it was captured: the
// job captures it again for them.
var ErrNewCases = errors.New("capture: new cases linked the item meanwhile")

func failureCode(tk *taken) string {
	if tk.facts.Error == nil {
		return ""
	}
	return tk.facts.Error.Code
}

// retryable tells whether a fetch error may pass. A refused address or a
// redirect loop will not.
func retryable(code string) bool {
	switch fetch.Code(code) {
	case fetch.BlockedAddress, fetch.TooManyRedirects, fetch.BadURL:
		return false
	}
	return true
}

// take fetches the page once and extracts its text; full takes its images
// and a screenshot too (a re-check that will not be kept fetches the page
// alone).
func (s *Service) take(ctx context.Context, url, requestedBy string, full bool) *taken {
	res, err := s.cfg.Fetcher.Fetch(ctx, url)
	tk := &taken{err: err}
	tk.facts = Facts{Result: res, Vantage: s.cfg.Vantage, RequestedBy: requestedBy, Images: []ImageFact{}}
	if !full {
		tk.facts.Screenshot = &ScreenshotFact{Error: "not taken: a re-check that fetched the page alone"}
	}
	if err != nil {
		tk.facts.Error = failure(err)
	}
	if res == nil {
		return tk
	}
	if res.Status != 0 {
		tk.headers = headerBytes(res)
		tk.body = res.Body
	}
	text := res.Text
	if res.MediaType == "text/html" || res.MediaType == "application/xhtml+xml" {
		if page, perr := extract.HTML(res.TextBytes(), res.FinalURL); perr == nil {
			tk.facts.Title, text, tk.facts.Links = page.Title, page.Text, len(page.Links)
			if full && (err == nil || fetch.CodeOf(err) == fetch.TooLarge) {
				s.images(ctx, tk, page.Images)
			}
		}
	}
	if text != "" {
		tk.text = []byte(text)
	}
	switch {
	case !full: // said above
	case err == nil || fetch.CodeOf(err) == fetch.TooLarge:
		tk.facts.Screenshot = s.shoot(ctx, url, tk)
	default:
		tk.facts.Screenshot = &ScreenshotFact{Error: "not taken: the page could not be fetched"}
	}
	res.Body, res.Text = nil, "" // kept as files, not in the facts
	return tk
}

// print returns the print of the page's text when the page answered 2xx
// (an error page is no copy of anything) and was read, whole or as far as
// the fetcher keeps (padding must not hide a copy), else nil.
func (s *Service) print(tk *taken) []byte {
	if s.cfg.Printer == nil || tk.text == nil || tk.err != nil && fetch.CodeOf(tk.err) != fetch.TooLarge || tk.facts.Result == nil ||
		tk.facts.Status < 200 || tk.facts.Status > 299 {
		return nil
	}
	p, ok := s.cfg.Printer.Print(string(tk.text))
	if !ok {
		return nil
	}
	b, _ := p.MarshalBinary()
	return b
}

func failure(err error) *Failure {
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return &Failure{Code: string(fe.Code), Message: fe.Message}
	}
	return &Failure{Code: string(fetch.CodeOf(err)), Message: err.Error()}
}

// headerBytes writes the final response's status line and headers as they
// came, in HTTP form, sorted by name.
func headerBytes(res *fetch.Result) []byte {
	var b bytes.Buffer
	proto := res.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(&b, "%s %d %s\r\n", proto, res.Status, http.StatusText(res.Status))
	names := make([]string, 0, len(res.Header))
	for k := range res.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range res.Header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	return b.Bytes()
}

// images fetches the images the page shows, a few at once, each bounded by
// the image fetcher's limits, and keeps those that decode as images.
func (s *Service) images(ctx context.Context, tk *taken, imgs []extract.Image) {
	if s.cfg.MaxImages < 0 {
		return
	}
	if len(imgs) > s.cfg.MaxImages {
		imgs = imgs[:s.cfg.MaxImages]
	}
	facts := make([]ImageFact, len(imgs))
	data := make([][]byte, len(imgs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.cfg.ImageWorkers)
	for i, im := range imgs {
		facts[i].URL = im.URL
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := s.cfg.ImageFetcher.Fetch(ctx, im.URL)
			if err != nil {
				facts[i].Error = failure(err).Code
				return
			}
			if res.Status != http.StatusOK {
				facts[i].Error = "http_status " + strconv.Itoa(res.Status)
				return
			}
			info, err := extract.ImageHashes(res.Body)
			if err != nil {
				facts[i].Error = "not an image this capture decodes"
				return
			}
			facts[i].SHA256, facts[i].PHash, facts[i].Format = info.SHA256, extract.HashString(info.PHash), info.Format
			facts[i].Width, facts[i].Height = info.Width, info.Height
			data[i] = res.Body
		}()
	}
	wg.Wait()
	tk.facts.Images = facts
	tk.images = data
}

// shoot takes the screenshot, if a browser is configured.
func (s *Service) shoot(ctx context.Context, url string, tk *taken) *ScreenshotFact {
	if s.cfg.Shooter == nil {
		return &ScreenshotFact{Error: "no screenshot: no browser is configured on this instance"}
	}
	shot, err := s.cfg.Shooter.Shot(ctx, url)
	fact := &ScreenshotFact{Result: shot}
	if err != nil {
		fact.Error = err.Error()
	}
	if shot == nil || len(shot.PNG) == 0 {
		if fact.Error == "" {
			fact.Error = "the browser returned no image"
		}
		return fact
	}
	sum := sha256.Sum256(shot.PNG)
	tk.screenshot = shot.PNG
	fact.Taken, fact.SHA256 = true, hex.EncodeToString(sum[:])
	return fact
}

// keep stores one take's files for one case, under its key, and returns
// the case's capture record.
func (s *Service) keep(ctx context.Context, tk *taken, c undox.CaptureCase) (undox.Capture, error) {
	rec := undox.Capture{CaseRef: c.Ref, IsMinor: c.IsMinor, Files: []undox.CaptureFile{}}
	if tk.facts.Result != nil {
		rec.FetchedAt, rec.HTTPStatus = tk.facts.FetchedAt, tk.facts.Status
	}
	if rec.FetchedAt.IsZero() {
		rec.FetchedAt = time.Now().UTC()
	}
	if tk.facts.Error != nil {
		rec.ErrorCode = tk.facts.Error.Code
	}
	// sum is the data's SHA-256 where the capture has it already.
	put := func(kind string, data []byte, sum, mediaType, phash string) (string, error) {
		if data == nil {
			return "", nil
		}
		ref, err := s.cfg.Blobs.PutLater(ctx, content(data, sum), c.Key, c.Ref)
		if err != nil {
			return "", err
		}
		rec.Files = append(rec.Files, undox.CaptureFile{Kind: kind, SHA256: ref.SHA256, Size: ref.Size, MediaType: mediaType, PHash: phash})
		return ref.SHA256, nil
	}
	var err error
	bodyType := "application/octet-stream"
	if tk.facts.Result != nil && tk.facts.MediaType != "" {
		bodyType = tk.facts.MediaType
	}
	bodySum := ""
	if tk.facts.Result != nil {
		bodySum = tk.facts.SHA256 // the fetcher's, of exactly these bytes
	}
	if rec.BodySHA256, err = put(undox.FileBody, tk.body, bodySum, bodyType, ""); err != nil {
		return rec, err
	}
	if _, err = put(undox.FileHeaders, tk.headers, "", "message/http", ""); err != nil {
		return rec, err
	}
	if rec.TextSHA256, err = put(undox.FileText, tk.text, "", "text/plain; charset=utf-8", ""); err != nil {
		return rec, err
	}
	if tk.screenshot != nil {
		phash := ""
		if info, err := extract.ImageHashes(tk.screenshot); err == nil {
			phash = extract.HashString(info.PHash)
		}
		if rec.ScreenshotSHA256, err = put(undox.FileScreenshot, tk.screenshot, "", "image/png", phash); err != nil {
			return rec, err
		}
	}
	for i, data := range tk.images {
		if data == nil {
			continue
		}
		f := tk.facts.Images[i]
		if _, err := put(undox.FileImage, data, f.SHA256, mediaImage(f.Format), f.PHash); err != nil {
			return rec, err
		}
	}
	if rec.Facts, err = json.Marshal(tk.facts); err != nil {
		return rec, err
	}
	// One sync for all the capture's files, before they are recorded.
	return rec, s.cfg.Blobs.Sync(ctx)
}

// content is data to put: with its SHA-256 when sum (hex) has it, so that
// the store does not hash it again.
func content(data []byte, sum string) io.Reader {
	var b [sha256.Size]byte
	if hex.DecodedLen(len(sum)) == len(b) {
		if _, err := hex.Decode(b[:], []byte(sum)); err == nil {
			return blob.Hashed(data, b)
		}
	}
	return bytes.NewReader(data)
}

// Scanner scans a capture's text for one case (minor: the case protects
// a minor; images: the images kept).
type Scanner interface {
	Scan(ctx context.Context, text string, minor bool, images int) (*undox.ScanResult, error)
}

// Shooter takes full-page screenshots (*screenshot.Shooter does, through
// a proxy that applies the fetcher's address policy).
type Shooter interface {
	Shot(ctx context.Context, url string) (*screenshot.Result, error)
}

// mediaImage names an image format's media type.
func mediaImage(format string) string {
	return "image/" + strings.ToLower(format)
}

// cdnHeaders picks the response headers that tell a CDN or reverse proxy,
// for the item's trace: Server, Via and the providers' own.
func cdnHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		lk := strings.ToLower(k)
		keep := lk == "server" || lk == "via"
		for _, p := range []string{"cf-", "x-amz-cf", "x-served-by", "x-cache", "x-sucuri", "x-iinfo", "x-cdn", "akamai", "x-akamai",
			"fastly", "x-fastly", "x-ddos", "x-edge", "x-azure", "x-msedge", "x-bunny", "cdn-", "x-qrator", "x-hw"} {
			keep = keep || strings.HasPrefix(lk, p)
		}
		if keep && len(out) < 32 {
			if len(v) > 4 {
				v = v[:4]
			}
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func fileKinds(files []undox.CaptureFile, kind string) []undox.CaptureFile {
	var out []undox.CaptureFile
	for _, f := range files {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}
