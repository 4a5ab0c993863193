// Package capture fetches reported pages safely and keeps what undox saw.
// The safe fetcher is in capture/fetch, text and image extraction in
// capture/extract; this package puts them together.
package capture

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/undox/undox/capture/extract"
	"github.com/undox/undox/capture/fetch"
)

// Summary is what one capture saw, as `undox capture --json` prints it.
type Summary struct {
	URL              string     `json:"url"`
	FinalURL         string     `json:"final_url"`
	Status           int        `json:"status"`
	Redirects        []Redirect `json:"redirects"`
	IPs              []string   `json:"ips"`
	SHA256           string     `json:"sha256"`
	Size             int64      `json:"size"`
	Truncated        bool       `json:"truncated"`
	ContentType      string     `json:"content_type"`
	Charset          string     `json:"charset"`
	Title            string     `json:"title"`
	TextSHA256       string     `json:"text_sha256"`
	Links            int        `json:"links"`
	Images           int        `json:"images"`
	TLSVerifyError   string     `json:"tls_verify_error,omitempty"`
	FetchedAt        time.Time  `json:"fetched_at"`
	ScreenshotSHA256 *string    `json:"screenshot_sha256"`
	Error            *Failure   `json:"error,omitempty"`

	// Text is the readable text of the page (not printed).
	Text string `json:"-"`
}

// Redirect is one hop of the redirect chain.
type Redirect struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	IP     string `json:"ip"`
}

// Failure says why a capture failed, with fetch's stable code.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Page fetches url with f and extracts its text. On failure the summary
// holds what was seen before it, and Error says why.
func Page(ctx context.Context, f *fetch.Fetcher, url string, opts ...fetch.Option) (*Summary, error) {
	res, err := f.Fetch(ctx, url, opts...)
	s := &Summary{URL: url, Redirects: []Redirect{}, IPs: []string{}}
	if res != nil {
		s.FinalURL, s.Status, s.SHA256, s.Size, s.Truncated = res.FinalURL, res.Status, res.SHA256, res.Size, res.Truncated
		s.ContentType, s.Charset, s.FetchedAt = res.ContentType, res.Charset, res.FetchedAt
		for _, h := range res.Redirects {
			s.Redirects = append(s.Redirects, Redirect{URL: h.URL, Status: h.Status, IP: addrString(h.Remote.Addr().String(), h.Remote.IsValid())})
		}
		for _, ip := range res.IPs {
			s.IPs = append(s.IPs, ip.String())
		}
		if len(s.IPs) == 0 && res.Remote.IsValid() { // an address in the URL itself
			s.IPs = append(s.IPs, res.Remote.Addr().String())
		}
		if res.TLS != nil {
			s.TLSVerifyError = res.TLS.VerifyError
		}
		s.Text = res.Text
		if res.MediaType == "text/html" || res.MediaType == "application/xhtml+xml" {
			if page, perr := extract.HTML(res.TextBytes(), res.FinalURL); perr == nil {
				s.Title, s.Text, s.Links, s.Images = page.Title, page.Text, len(page.Links), len(page.Images)
			}
		}
		if s.Text != "" {
			sum := sha256.Sum256([]byte(s.Text))
			s.TextSHA256 = hex.EncodeToString(sum[:])
		}
	}
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) {
			s.Error = &Failure{Code: string(fe.Code), Message: fe.Message}
		} else {
			s.Error = &Failure{Code: string(fetch.CodeOf(err)), Message: err.Error()}
		}
		return s, err
	}
	return s, nil
}

func addrString(s string, ok bool) string {
	if !ok {
		return ""
	}
	return s
}
