// Package intake takes reports in: from victims over the public API, and in
// bulk from partner systems. It validates and normalizes what comes in,
// decides how a case is handled (a minor's intimate images are CSAM in
// law, referral-only), and hands the case to the store, which queues its
// work in the same transaction.
package intake

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/undox/undox"
	"github.com/undox/undox/secret"
)

// Limits on one report.
const (
	MaxURLsPerReport  = 100
	MaxDescription    = 10000
	MaxExternalRefLen = 200
)

// Languages a case can be handled in.
var Languages = []string{"nl", "en"}

// Service takes reports in.
type Service struct {
	Store undox.CaseStore
	// PublicURL is the base of the private status links, such as
	// "https://meldpunt.example".
	PublicURL string
	// AllowPrivate accepts URLs on loopback and private addresses (tests
	// and local development only); by default they are refused.
	AllowPrivate bool
	// Receipts e-mails reporters their status link (MailReceipt); nil
	// sends none.
	Receipts *ReceiptMail
}

// Submission is one report and where it comes from.
type Submission struct {
	Report      undox.Report
	Idempotency *undox.Idempotency
	// Partner is the partner system for imports; empty for the public.
	Partner string
	// Monitor is the host of the watched site whose crawl found the
	// report's pages (undox's own monitoring); its case's source is
	// "monitor:<host>".
	Monitor string
}

// StatusPath is the path of a case's private status page.
func StatusPath(token string) string { return "/status/" + token }

// Submit validates a report and creates its case.
func (s *Service) Submit(ctx context.Context, actor undox.Actor, sub Submission) (undox.Receipt, error) {
	rep, err := Validate(sub.Report)
	if err != nil {
		return undox.Receipt{}, err
	}
	if err := s.checkPublic(rep.URLs); err != nil {
		return undox.Receipt{}, err
	}
	if sub.Partner == "" {
		rep.ExternalRef = ""
	}
	token, err := secret.Token(32)
	if err != nil {
		return undox.Receipt{}, err
	}
	ref, err := NewCaseRef()
	if err != nil {
		return undox.Receipt{}, err
	}
	handling := undox.EffectiveCategory(rep.Category, rep.IsMinor)
	source := "public"
	switch {
	case sub.Partner != "":
		source = "import:" + sub.Partner
	case sub.Monitor != "":
		source = "monitor:" + sub.Monitor
	}
	statusURL := strings.TrimRight(s.PublicURL, "/") + StatusPath(token)
	r, err := s.Store.CreateCase(ctx, actor, undox.NewCase{
		Ref:             ref,
		Report:          rep,
		Handling:        handling,
		Priority:        undox.Priority(handling, rep.IsMinor),
		StatusTokenHash: secret.Hash(token),
		Source:          source,
		Partner:         sub.Partner,
		Idempotency:     sub.Idempotency,
		Receipt:         undox.Receipt{StatusURL: statusURL},
	})
	if err != nil {
		return r, err
	}
	if !r.Duplicate {
		r.StatusToken = token
	}
	return r, nil
}

// Validate checks a report and returns it normalized. Every problem is
// reported at once, per field.
func Validate(r undox.Report) (undox.Report, error) {
	bad := map[string]string{}
	out := r
	out.URLs = nil
	if len(r.URLs) == 0 {
		bad["urls"] = "give at least one URL"
	}
	if len(r.URLs) > MaxURLsPerReport {
		bad["urls"] = fmt.Sprintf("at most %d URLs in one report", MaxURLsPerReport)
	}
	seen := map[string]bool{}
	for i, raw := range r.URLs {
		if i >= MaxURLsPerReport {
			break
		}
		u, err := undox.NormalizeURL(raw)
		if err != nil {
			bad[fmt.Sprintf("urls[%d]", i)] = undox.ErrorMessage(err)
			continue
		}
		if !seen[u] {
			seen[u] = true
			out.URLs = append(out.URLs, u)
		}
	}
	out.Category = strings.TrimSpace(strings.ToLower(r.Category))
	if out.Category == "" {
		out.Category = undox.CategoryUnassessed
	} else if _, ok := undox.LookupCategory(out.Category); !ok {
		var codes []string
		for _, c := range undox.Categories() {
			codes = append(codes, c.Code)
		}
		bad["category"] = fmt.Sprintf("unknown category %q; one of: %s", r.Category, strings.Join(codes, ", "))
	}
	out.Description = strings.TrimSpace(r.Description)
	if !utf8.ValidString(out.Description) {
		bad["description"] = "the description is not valid UTF-8 text"
	} else if utf8.RuneCountInString(out.Description) > MaxDescription {
		bad["description"] = fmt.Sprintf("the description is longer than %d characters", MaxDescription)
	}
	out.ReporterEmail = strings.TrimSpace(r.ReporterEmail)
	if out.ReporterEmail != "" {
		a, err := mail.ParseAddress(out.ReporterEmail)
		if err != nil || a.Address != out.ReporterEmail || len(out.ReporterEmail) > 254 {
			bad["reporter_email"] = "this is not a valid e-mail address"
		}
	}
	if out.ReporterEmail == "" {
		out.Consent = false // nothing to send updates to
	}
	out.Language = strings.ToLower(strings.TrimSpace(r.Language))
	if out.Language == "" {
		out.Language = "nl"
	} else if out.Language != "nl" && out.Language != "en" {
		bad["language"] = "language must be nl or en"
	}
	if ref, err := undox.CheckText("external_ref", r.ExternalRef, MaxExternalRefLen); err != nil {
		bad["external_ref"] = undox.ErrorMessage(err)
	} else {
		out.ExternalRef = ref
	}
	if len(bad) > 0 {
		msg := "the report has errors"
		if len(bad) == 1 {
			for _, m := range bad {
				msg = m
			}
		}
		return out, &undox.Error{Code: undox.EINVALID, Message: msg, Fields: bad}
	}
	return out, nil
}

// internalSuffixes are names that never lead to the public internet.
var internalSuffixes = []string{".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp"}

// internal tells whether a normalized URL names a loopback, private,
// link-local or otherwise non-public address, or an internal name. The
// fetcher refuses these whatever DNS says; intake refuses what it can see.
func internal(u string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return true
	}
	host := pu.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		cgnat := netip.MustParsePrefix("100.64.0.0/10")
		return !ip.IsGlobalUnicast() || ip.IsPrivate() || cgnat.Contains(ip)
	}
	for _, s := range internalSuffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// crockford is Crockford's base32 alphabet: no I, L, O or U to misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewCaseRef returns a case reference such as "UDX-7K3M-9QXR-2B4D": 60
// random bits, easy to read out over the phone.
func NewCaseRef() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString("UDX")
	for i, v := range b {
		if i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(crockford[int(v)%32])
	}
	return sb.String(), nil
}
