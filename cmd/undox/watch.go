package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/extract"
	"github.com/undox/undox/personal"
	"github.com/undox/undox/personal/watch"
	"github.com/undox/undox/secret"
)

// watchKey returns the key of the watch index: UNDOX_WATCH_KEY, else the
// file DATA/watch.key (created on first use). It is never in the
// database: without it the index's hashes cannot be checked, not even for
// phone numbers, which are few enough to try them all.
func watchKey(c *config) ([]byte, error) {
	if c.watchKey != "" {
		return secret.ParseKey(c.watchKey)
	}
	return secret.LoadOrCreateKeyFile(filepath.Join(c.data, "watch.key"))
}

// newWatch returns the watch over the store, with its key and index file.
func (a *app) newWatch() (*personal.Watch, error) {
	key, err := watchKey(a.cfg)
	if err != nil {
		return nil, fmt.Errorf("watch key: %w", err)
	}
	return &personal.Watch{Store: a.store, Key: key, Path: filepath.Join(a.cfg.data, "watch.index"), Logger: a.log}, nil
}

// watchCmd is `undox watch add|reindex`.
func watchCmd(ctx context.Context, args, env []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "usage: echo VALUE | undox watch add --case REF --kind KIND [--person N]\n       undox watch reindex [--rotate-key]"
	if len(args) == 0 {
		return usageError(usage)
	}
	switch args[0] {
	case "add":
		var ref, kind string
		var person int
		return withApp(ctx, "watch add", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.StringVar(&ref, "case", "", "the case that protects the person")
			fs.StringVar(&kind, "kind", "", strings.Join(undox.IdentifierKinds(), ", "))
			fs.IntVar(&person, "person", 1, "which protected person of the case")
		}, func(*config) error {
			if ref == "" || kind == "" {
				return usageError(usage)
			}
			return nil
		}, func(a *app) error {
			// The value comes from standard input, never from the
			// command line, where shell history and ps would keep it.
			line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			id, err := a.store.AddIdentifier(ctx, cliActor, ref, person, kind, strings.TrimSpace(line))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added identifier %d (%s of person %d of %s); the watch picks it up within seconds\n", id.ID, id.Kind, id.Person, ref)
			return nil
		})
	case "reindex":
		var rotate bool
		return withApp(ctx, "watch reindex", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.BoolVar(&rotate, "rotate-key", false, "replace the watch key (DATA/watch.key) with a new one first")
		}, nil, func(a *app) error {
			if rotate {
				path := filepath.Join(a.cfg.data, "watch.key")
				if err := os.Rename(path, path+".old"); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
				if _, err := secret.LoadOrCreateKeyFile(path); err != nil {
					return err
				}
				os.Remove(path + ".old")
			}
			w, err := a.newWatch()
			if err != nil {
				return err
			}
			start := time.Now()
			if err := w.Rebuild(ctx); err != nil {
				return err
			}
			if err := a.store.Audit(ctx, cliActor, "watch.reindex", "watch", "index", fmt.Sprintf("rotate_key=%t", rotate)); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "watch index rebuilt in %s%s\n", time.Since(start).Round(time.Millisecond),
				map[bool]string{true: " under a new key", false: ""}[rotate])
			return nil
		})
	}
	return usageError(usage)
}

// scanOutput is what `undox scan --json` prints.
type scanOutput struct {
	Findings []personal.Finding `json:"findings"`
	Matches  []personal.Match   `json:"matches"`
	Doxes    []string           `json:"doxes"`
	Severity int                `json:"severity"`
	Level    string             `json:"level"`
	Reasons  []string           `json:"reasons"`
	Text     *string            `json:"text,omitempty"`
}

// scanCmd is `undox scan FILE|- [--identifiers FILE.jsonl] [--json]`: the
// detectors and the watch over one text or HTML file.
func scanCmd(ctx context.Context, args, env []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var (
		idFile         string
		asJSON, asText bool
		minor          bool
	)
	c := &config{}
	fs := newFlags("scan", c, stderr)
	fs.StringVar(&idFile, "identifiers", "", "build a temporary index from this file: one JSON object per line with person, kind, value (default: the configured watch index)")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.BoolVar(&asText, "text", false, "with --json, also print the extracted text the offsets refer to")
	fs.BoolVar(&minor, "minor", false, "the person concerned is a minor")
	file, err := parseOne(fs, args, env)
	if err != nil {
		return err
	}
	if file == "" {
		return usageError("usage: undox scan FILE|- [--identifiers FILE.jsonl] [--json] [--text]")
	}
	var r io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return err
	}
	text := string(raw)
	if looksHTML(raw) {
		page, err := extract.HTML(raw, "")
		if err != nil {
			return err
		}
		text = page.Text
	}
	sc := &personal.Scanner{Now: time.Now}
	if idFile != "" {
		ids, err := readIdentifiers(idFile)
		if err != nil {
			return err
		}
		key, err := secret.Token(32)
		if err != nil {
			return err
		}
		ix, err := watch.Build([]byte(key), ids)
		if err != nil && !errors.Is(err, watch.ErrEmpty) {
			return err
		}
		if ix != nil {
			sc.Matcher = plainMatcher{ix: ix, ids: ids}
		}
	} else {
		a, err := c.open(ctx, env, stderr, false)
		if err != nil {
			return err
		}
		defer a.close()
		if sc.Matcher, err = a.newWatch(); err != nil {
			return err
		}
	}
	res, err := sc.Scan(ctx, text, minor, 0)
	if err != nil {
		return err
	}
	var sum personal.ScanSummary
	var out scanOutput
	if err := json.Unmarshal(res.Summary, &sum); err != nil {
		return err
	}
	if err := json.Unmarshal(res.Findings, &out.Findings); err != nil {
		return err
	}
	out.Matches, out.Doxes, out.Severity, out.Level, out.Reasons = sum.Matches, sum.Assessment.Doxes, sum.Assessment.Severity, sum.Assessment.Level, sum.Assessment.Reasons
	if out.Doxes == nil {
		out.Doxes = []string{}
	}
	if asJSON {
		if asText {
			out.Text = &text
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, f := range out.Findings {
		fmt.Fprintf(stdout, "%-14s %6d-%-6d valid=%-5t %s\n", f.Type, f.Start, f.End, f.Valid, f.Value)
	}
	for _, m := range out.Matches {
		fmt.Fprintf(stdout, "protected      %6d-%-6d %s (%s)\n", m.Start, m.End, m.Person, m.Kind)
	}
	fmt.Fprintf(stdout, "doxes: %s\nseverity: %d (%s)\n", strings.Join(out.Doxes, ", "), out.Severity, out.Level)
	for _, r := range out.Reasons {
		fmt.Fprintf(stdout, "  %s\n", r)
	}
	return nil
}

func looksHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 1024)]))
	return strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html") || strings.Contains(head, "<body") || strings.Contains(head, "<p>")
}

// readIdentifiers reads one JSON object (person, kind, value) per line.
func readIdentifiers(path string) ([]watch.Identifier, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []watch.Identifier
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var id struct{ Person, Kind, Value string }
		if err := json.Unmarshal([]byte(line), &id); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		if id.Person == "" || !undox.ValidIdentifierKind(id.Kind) || id.Value == "" {
			return nil, fmt.Errorf("%s:%d: each line needs person, a kind (%s) and value", path, n, strings.Join(undox.IdentifierKinds(), ", "))
		}
		out = append(out, watch.Identifier{Person: id.Person, Kind: id.Kind, Value: id.Value})
	}
	return out, sc.Err()
}

// plainMatcher matches against a temporary index of identifiers given in
// plain text (scan --identifiers), confirming like the watch does.
type plainMatcher struct {
	ix  *watch.Index
	ids []watch.Identifier
}

func (p plainMatcher) Match(_ context.Context, text string) ([]personal.Match, error) {
	ms := p.ix.MatchVerified(text, func(person, kind, span string) bool {
		for _, id := range p.ids {
			if id.Person == person && id.Kind == kind && watch.Equivalent(kind, id.Value, span) {
				return true
			}
		}
		return false
	})
	out := make([]personal.Match, len(ms))
	for i, m := range ms {
		out[i] = personal.Match{Person: m.Person, Kind: m.Kind, Start: m.Start, End: m.End}
	}
	return out, nil
}
