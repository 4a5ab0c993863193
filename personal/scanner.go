package personal

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/undox/undox"
)

// Matcher finds protected persons on a page: the watch index. Its matches
// are candidates; Verify confirms each before anyone sees it.
type Matcher interface {
	Match(ctx context.Context, text string) ([]Match, error)
}

// Scanner scans the text of a capture: the detectors, the watch index and
// the assessment together.
type Scanner struct {
	Detector *Detector
	// Matcher is the watch index; nil: no protected person is looked for.
	Matcher Matcher
	Assess  AssessOptions
	Now     func() time.Time
}

// ScanSummary is what a scan says without any value of the page: the
// counts of findings by type, the protected persons matched (person, kind,
// span) and the assessment.
type ScanSummary struct {
	Kinds      map[string]int `json:"kinds"`
	Matches    []Match        `json:"matches"`
	Assessment Assessment     `json:"assessment"`
}

// Scan scans text for one case (minor: the case protects a minor; images:
// the page's images that were kept).
func (s *Scanner) Scan(ctx context.Context, text string, minor bool, images int) (*undox.ScanResult, error) {
	det := s.Detector
	if det == nil {
		det = NewDetector(Options{})
	}
	findings := det.Detect(text)
	var matches []Match
	if s.Matcher != nil && text != "" {
		var err error
		if matches, err = s.Matcher.Match(ctx, text); err != nil {
			return nil, err
		}
	}
	opts := s.Assess
	opts.Minor = opts.Minor || minor
	opts.Images = images
	if s.Now != nil {
		opts.Now = s.Now()
	}
	a := Assess(findings, matches, opts)
	if matches == nil {
		matches = []Match{}
	}
	if findings == nil {
		findings = []Finding{}
	}
	sum := ScanSummary{Kinds: a.Kinds, Matches: matches, Assessment: a}
	summary, err := json.Marshal(sum)
	if err != nil {
		return nil, err
	}
	fj, err := json.Marshal(findings)
	if err != nil {
		return nil, err
	}
	res := &undox.ScanResult{Findings: fj, Summary: summary, Severity: a.Severity, Doxes: a.Doxes, PersonKinds: map[string][]string{}}
	for _, m := range matches {
		kinds := res.PersonKinds[m.Person]
		if len(kinds) == 0 {
			res.Persons = append(res.Persons, m.Person)
		}
		found := false
		for _, k := range kinds {
			found = found || k == m.Kind
		}
		if !found {
			res.PersonKinds[m.Person] = append(kinds, m.Kind)
		}
	}
	sort.Strings(res.Persons)
	for _, k := range res.PersonKinds {
		sort.Strings(k)
	}
	return res, nil
}
