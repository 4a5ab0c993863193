package capture

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/fetch"
)

// Check is one re-check of an item's page (package takedown decides what
// it means): one fetch through the safe fetcher, its text scanned, ready
// to be kept as evidence for every case (KeepCheck).
type Check struct {
	Target *undox.CaptureTarget
	// Status is the final response's status (0: none came).
	Status int
	// URL is the item's URL; FinalURL where its redirects led.
	URL, FinalURL string
	Redirects     int
	// ErrorCode is fetch's code when the fetch failed ("" otherwise);
	// NXDOMAIN tells that the name does not exist.
	ErrorCode, Error string
	NXDOMAIN         bool
	// Scan is what scanning the page's text found (nil: no text, or no
	// scanner).
	Scan *undox.ScanResult

	tk          *taken
	requestedBy string
}

// Check fetches an item's page for a re-check: with its images and a
// screenshot when full (a check that may be kept as evidence), else the
// page alone. It returns nil when there is nothing to check: referral-only
// content, or no live case reports the item.
func (s *Service) Check(ctx context.Context, itemID int64, full bool, requestedBy string) (*Check, error) {
	t, err := s.cfg.Store.CaptureTarget(ctx, itemID)
	if err != nil {
		return nil, err
	}
	if t.ReferralOnly || len(t.Cases) == 0 {
		return nil, nil
	}
	tk := s.take(ctx, t.Item.URL, requestedBy, full)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	c := &Check{Target: t, URL: t.Item.URL, tk: tk, requestedBy: requestedBy}
	if r := tk.facts.Result; r != nil {
		c.Status, c.FinalURL, c.Redirects = r.Status, r.FinalURL, len(r.Redirects)
		for _, l := range r.DNS {
			if strings.Contains(l.Error, "NXDOMAIN") || strings.Contains(strings.ToLower(l.Error), "no such host") {
				c.NXDOMAIN = true
			}
		}
	}
	if f := tk.facts.Error; f != nil {
		c.ErrorCode, c.Error = f.Code, f.Message
		if f.Code == string(fetch.DNSFailure) && (strings.Contains(f.Message, "NXDOMAIN") || strings.Contains(f.Message, "no such host")) {
			c.NXDOMAIN = true
		}
	}
	if c.ErrorCode != string(fetch.DNSFailure) {
		c.NXDOMAIN = false
	}
	// A page that answers is scanned, even without text: the personal
	// data is then gone from it.
	if s.cfg.Scanner != nil && c.Status != 0 && c.ErrorCode == "" {
		minor := false
		for _, cc := range t.Cases {
			minor = minor || cc.IsMinor
		}
		if c.Scan, err = s.cfg.Scanner.Scan(ctx, string(tk.text), minor, 0); err != nil {
			return nil, fmt.Errorf("capture: scanning: %w", err)
		}
	}
	return c, nil
}

// KeepCheck keeps a check as evidence: a capture for every case that
// reports the item, under its key, with its audit entry, as a capture job
// keeps one; the item's state is left to the re-check. It returns the
// captures (with their IDs), in the order of the cases.
func (s *Service) KeepCheck(ctx context.Context, c *Check) ([]undox.Capture, error) {
	attempt := undox.CaptureAttempt{ItemID: c.Target.Item.ID}
	switch {
	case c.ErrorCode != "" && c.ErrorCode != string(fetch.TooLarge):
		attempt.Error = c.ErrorCode + ": " + c.Error
	case c.Status >= 400:
		attempt.Error = "http_status: the page answered " + strconv.Itoa(c.Status) + " " + http.StatusText(c.Status)
	}
	scans := map[bool]*undox.ScanResult{}
	for _, cc := range c.Target.Cases {
		rec, err := s.keep(ctx, c.tk, cc)
		if err != nil {
			return nil, fmt.Errorf("capture: storing evidence for case %s: %w", cc.Ref, err)
		}
		rec.RequestedBy = c.requestedBy
		if s.cfg.Scanner != nil && c.tk.text != nil {
			sc := scans[cc.IsMinor]
			if sc == nil {
				if sc, err = s.cfg.Scanner.Scan(ctx, string(c.tk.text), cc.IsMinor, len(fileKinds(rec.Files, undox.FileImage))); err != nil {
					return nil, fmt.Errorf("capture: scanning: %w", err)
				}
				scans[cc.IsMinor] = sc
			}
			rec.Scan = sc
		}
		attempt.Captures = append(attempt.Captures, rec)
	}
	if _, err := s.cfg.Store.SaveCapture(ctx, attempt); err != nil {
		return nil, err
	}
	return attempt.Captures, nil
}
