package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/undox/undox/capture"
)

// captureCmd is `undox capture URL`: an analyst's quick look at a page,
// through the same safe fetcher as every capture, without a case.
func captureCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var (
		o             fetchOptions
		asJSON        bool
		withShot      bool
		screenshotOut string
	)
	fs := flag.NewFlagSet("undox capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.BoolVar(&withShot, "screenshot", false, "take a full-page screenshot with headless Chromium")
	fs.StringVar(&screenshotOut, "screenshot-out", "", "write the screenshot (PNG) to this file (implies --screenshot)")
	fetchFlags(fs, &o)
	target, err := parseOne(fs, args, env)
	if err != nil {
		return err
	}
	if target == "" {
		return usageError("usage: undox capture URL [--json] [--screenshot] [--proxy URL] [--dns-server host:port] [--allow-private-networks]")
	}
	if screenshotOut != "" {
		withShot = true
	}
	f, _, err := o.fetchers()
	if err != nil {
		return err
	}
	sum, err := capture.Page(ctx, f, target)
	if withShot && err == nil {
		o.screenshots = "on"
		sh, serr := o.shooter(f, slog.New(slog.NewTextHandler(stderr, nil)))
		if serr != nil {
			return serr
		}
		defer sh.Close()
		shot, serr := sh.Shot(ctx, target)
		switch {
		case shot != nil && len(shot.PNG) > 0:
			h := sha256.Sum256(shot.PNG)
			hx := hex.EncodeToString(h[:])
			sum.ScreenshotSHA256 = &hx
			if screenshotOut != "" {
				if werr := os.WriteFile(screenshotOut, shot.PNG, 0o600); werr != nil {
					return werr
				}
			}
		case serr != nil:
			fmt.Fprintf(stderr, "no screenshot: %v\n", serr)
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(sum); eerr != nil {
			return eerr
		}
	} else {
		printSummary(stdout, sum)
	}
	if err != nil {
		return fmt.Errorf("capture failed: %s: %s", sum.Error.Code, sum.Error.Message)
	}
	return nil
}

func printSummary(w io.Writer, s *capture.Summary) {
	fmt.Fprintf(w, "url:        %s\n", s.URL)
	for _, r := range s.Redirects {
		fmt.Fprintf(w, "redirect:   %d %s (%s)\n", r.Status, r.URL, r.IP)
	}
	if s.FinalURL != "" {
		fmt.Fprintf(w, "final url:  %s\nstatus:     %d\naddresses:  %s\n", s.FinalURL, s.Status, strings.Join(s.IPs, ", "))
		fmt.Fprintf(w, "content:    %s, %d bytes, sha256 %s\n", s.ContentType, s.Size, s.SHA256)
		fmt.Fprintf(w, "title:      %s\ntext:       sha256 %s (%d links, %d images)\n", s.Title, s.TextSHA256, s.Links, s.Images)
	}
	if s.TLSVerifyError != "" {
		fmt.Fprintf(w, "tls:        certificate not valid: %s\n", s.TLSVerifyError)
	}
	if s.ScreenshotSHA256 != nil {
		fmt.Fprintf(w, "screenshot: sha256 %s\n", *s.ScreenshotSHA256)
	} else {
		fmt.Fprintln(w, "screenshot: none taken")
	}
	if s.Error != nil {
		fmt.Fprintf(w, "error:      %s: %s\n", s.Error.Code, s.Error.Message)
	}
}
