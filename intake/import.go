package intake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

// MaxImportRows bounds one import.
const MaxImportRows = 100000

// RowResult is the outcome of one row of an import.
type RowResult struct {
	Row         int               `json:"row"`
	ExternalRef string            `json:"external_ref,omitempty"`
	Status      string            `json:"status"` // created, duplicate, error
	Case        string            `json:"case,omitempty"`
	StatusURL   string            `json:"status_url,omitempty"`
	Code        string            `json:"code,omitempty"`
	Message     string            `json:"message,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
}

// Summary counts an import's rows.
type Summary struct {
	Rows       int    `json:"rows"`
	Created    int    `json:"created"`
	Duplicates int    `json:"duplicates"`
	Errors     int    `json:"errors"`
	Stopped    string `json:"stopped,omitempty"` // why the rest of the input was not read
}

// importRow is one row as partners send it, in JSON or CSV.
type importRow struct {
	URL           string   `json:"url"`
	URLs          []string `json:"urls"`
	Category      string   `json:"category"`
	Description   string   `json:"description"`
	IsMinor       bool     `json:"is_minor"`
	Language      string   `json:"language"`
	ExternalRef   string   `json:"external_ref"`
	ReporterEmail string   `json:"reporter_email"`
	Consent       bool     `json:"consent"`
}

func (r importRow) report() undox.Report {
	urls := r.URLs
	if r.URL != "" {
		urls = append([]string{r.URL}, urls...)
	}
	return undox.Report{URLs: urls, Category: r.Category, Description: r.Description, IsMinor: r.IsMinor,
		Language: r.Language, ExternalRef: r.ExternalRef, ReporterEmail: r.ReporterEmail, Consent: r.Consent}
}

// Import reads rows from body as they arrive ("csv" with a header row,
// or "json": an array of rows or one row per line) and creates a case for
// each, calling emit with each row's result as soon as it is known. A bad
// row is reported and does not stop the others; a row whose external_ref
// this partner imported before is a duplicate, not a second case.
func (s *Service) Import(ctx context.Context, actor undox.Actor, partner, format string, body io.Reader, emit func(RowResult) error) (Summary, error) {
	var sum Summary
	failing := 0 // rows in a row that the store failed to take
	handle := func(n int, row importRow, perr error) error {
		sum.Rows++
		res := RowResult{Row: n, ExternalRef: strings.TrimSpace(row.ExternalRef)}
		if perr == nil {
			rcpt, err := s.Submit(ctx, actor, Submission{Report: row.report(), Partner: partner})
			switch {
			case err == nil && rcpt.Duplicate:
				failing = 0
				res.Status, res.Case = "duplicate", rcpt.CaseRef
			case err == nil:
				failing = 0
				res.Status, res.Case, res.StatusURL = "created", rcpt.CaseRef, rcpt.StatusURL
			default:
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if undox.ErrorCode(err) == undox.EINTERNAL {
					// One row that the store refuses does not sink the
					// rest; a run of them means the store is down.
					if failing++; failing >= 5 {
						return err
					}
					err = undox.Errorf(undox.EINTERNAL, "this row could not be stored; send it again")
				}
				perr = err
			}
		}
		if perr != nil {
			res.Status, res.Code, res.Message, res.Fields = "error", undox.ErrorCode(perr), undox.ErrorMessage(perr), undox.ErrorFields(perr)
		}
		switch res.Status {
		case "created":
			sum.Created++
		case "duplicate":
			sum.Duplicates++
		default:
			sum.Errors++
		}
		return emit(res)
	}
	var err error
	switch format {
	case "csv":
		err = readCSV(body, handle, &sum)
	case "json":
		err = readJSON(body, handle, &sum)
	default:
		return sum, undox.Errorf(undox.EUNSUPPORTED, "imports are CSV (text/csv) or JSON (application/json, application/x-ndjson)")
	}
	return sum, err
}

type rowFunc func(n int, row importRow, err error) error

var csvColumns = map[string]bool{"url": true, "urls": true, "category": true, "description": true, "is_minor": true,
	"language": true, "external_ref": true, "reporter_email": true, "consent": true}

func readCSV(body io.Reader, handle rowFunc, sum *Summary) error {
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return undox.Invalid("body", "the CSV is empty: it needs a header row such as url,category,external_ref")
	}
	if err != nil {
		return undox.Invalid("body", "the CSV header cannot be read: %v", err)
	}
	cols := make([]string, len(header))
	hasURL := false
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !csvColumns[h] {
			return undox.Invalid("body", "unknown CSV column %q; known: url, urls, category, description, is_minor, language, external_ref, reporter_email, consent", h)
		}
		hasURL = hasURL || h == "url" || h == "urls"
		cols[i] = h
	}
	if !hasURL {
		return undox.Invalid("body", "the CSV header needs a url column")
	}
	for n := 1; ; n++ {
		if n > MaxImportRows {
			sum.Stopped = fmt.Sprintf("more than %d rows; split the import", MaxImportRows)
			return nil
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var row importRow
		var rowErr error
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rowErr = undox.Invalid("row", "line %d is not valid CSV: %v", pe.Line, pe.Err)
		} else if err != nil {
			sum.Stopped = "the upload broke off: " + err.Error()
			return nil
		} else {
			row, rowErr = csvRow(cols, rec)
		}
		if err := handle(n, row, rowErr); err != nil {
			return err
		}
	}
}

func csvRow(cols, rec []string) (importRow, error) {
	var row importRow
	if len(rec) > len(cols) {
		return row, undox.Invalid("row", "the row has %d fields, the header %d", len(rec), len(cols))
	}
	for i, v := range rec {
		v = strings.TrimSpace(v)
		var err error
		switch cols[i] {
		case "url":
			row.URL = v
		case "urls":
			row.URLs = strings.Fields(v)
		case "category":
			row.Category = v
		case "description":
			row.Description = v
		case "language":
			row.Language = v
		case "external_ref":
			row.ExternalRef = v
		case "reporter_email":
			row.ReporterEmail = v
		case "is_minor":
			row.IsMinor, err = parseBool(v)
		case "consent":
			row.Consent, err = parseBool(v)
		}
		if err != nil {
			return row, undox.Invalid(cols[i], "%s must be true or false, not %q", cols[i], v)
		}
	}
	return row, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "nee", "n":
		return false, nil
	case "1", "true", "yes", "ja", "y":
		return true, nil
	}
	return strconv.ParseBool(v)
}

func readJSON(body io.Reader, handle rowFunc, sum *Summary) error {
	br := bufio.NewReaderSize(body, 64<<10)
	first, err := peekNonSpace(br)
	if err != nil {
		return undox.Invalid("body", "the JSON is empty")
	}
	if first == '[' {
		dec := json.NewDecoder(br)
		if _, err := dec.Token(); err != nil {
			return undox.Invalid("body", "malformed JSON: %v", err)
		}
		for n := 1; dec.More(); n++ {
			if n > MaxImportRows {
				sum.Stopped = fmt.Sprintf("more than %d rows; split the import", MaxImportRows)
				return nil
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				// After a syntax error the rest of the array cannot be
				// found again: report where it stopped.
				sum.Stopped = fmt.Sprintf("malformed JSON at row %d: %v", n, err)
				return nil
			}
			row, rowErr := jsonRow(raw)
			if err := handle(n, row, rowErr); err != nil {
				return err
			}
		}
		return nil
	}
	// One JSON object per line (NDJSON): a bad line is one bad row.
	// A read error (such as the body's size limit) can cut the last line
	// off: that is where the input stopped, not a bad row.
	var readErr error
	src := readerFunc(func(p []byte) (int, error) {
		n, err := br.Read(p)
		if err != nil && !errors.Is(err, io.EOF) {
			readErr = err
		}
		return n, err
	})
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if atEOF && readErr != nil && bytes.IndexByte(data, '\n') < 0 {
			return 0, nil, readErr
		}
		return bufio.ScanLines(data, atEOF)
	})
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		if n > MaxImportRows {
			sum.Stopped = fmt.Sprintf("more than %d rows; split the import", MaxImportRows)
			return nil
		}
		row, rowErr := jsonRow(line)
		if err := handle(n, row, rowErr); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		sum.Stopped = fmt.Sprintf("after row %d: %v", n, err)
	}
	return nil
}

func jsonRow(raw []byte) (importRow, error) {
	var row importRow
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&row); err != nil {
		var probe struct {
			ExternalRef string `json:"external_ref"`
		}
		json.Unmarshal(raw, &probe)
		row.ExternalRef = probe.ExternalRef
		return row, undox.Invalid("row", "the row is not a valid report: %s", jsonProblem(err))
	}
	return row, nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		return "a row must be a JSON object"
	}
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q must be of type %s", te.Field, te.Type)
	}
	return err.Error()
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			return b, br.UnreadByte()
		}
	}
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
