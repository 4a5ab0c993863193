package notice

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/undox/undox"
)

// XARFVersion is the X-ARF version the reports declare: the version of
// the published schema embedded in schema/xarf/v4 (xarf/xarf-spec).
const XARFVersion = "4.2.0"

// xarfMasterID is the $id of the X-ARF v4 master schema, which checks the
// core fields and, per category and type, the type's own schema.
const xarfMasterID = "https://xarf.org/schemas/v4/xarf-v4-master.json"

//go:embed schema/xarf/v4
var schemaFS embed.FS

var (
	xarfOnce   sync.Once
	xarfSchema *jsonschema.Schema
	xarfErr    error
)

func compileXARF() (*jsonschema.Schema, error) {
	xarfOnce.Do(func() {
		c := jsonschema.NewCompiler()
		// Formats (uuid, date-time, email, hostname, uri) are asserted, not
		// only annotated: a receiver that checks them must accept ours.
		c.AssertFormat()
		// Every $ref resolves to an embedded file; nothing is fetched.
		c.UseLoader(refusingLoader{})
		err := fs.WalkDir(schemaFS, "schema/xarf/v4", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := schemaFS.ReadFile(p)
			if err != nil {
				return err
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			m, ok := doc.(map[string]any)
			id, _ := m["$id"].(string)
			if !ok || id == "" {
				return fmt.Errorf("%s: no $id", p)
			}
			return c.AddResource(id, doc)
		})
		if err == nil {
			xarfSchema, err = c.Compile(xarfMasterID)
		}
		if err != nil {
			xarfErr = fmt.Errorf("notice: X-ARF schema: %w", err)
		}
	})
	return xarfSchema, xarfErr
}

type refusingLoader struct{}

func (refusingLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded", u)
}

// ValidateXARF checks that doc is one X-ARF v4 report valid against the
// published schema (the master schema, with the type schema of its
// category and type), formats asserted. Render calls it on every report,
// so that an invalid report is never sent.
func ValidateXARF(doc []byte) error {
	sch, err := compileXARF()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("notice: X-ARF report is not JSON: %w", err)
	}
	if _, ok := inst.(map[string]any); !ok {
		return errors.New("notice: X-ARF report is not a JSON object")
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("notice: X-ARF report is not valid X-ARF v4: %w", err)
	}
	return nil
}

// XARFType is where an undox category lands in X-ARF: always category
// "content", with the closest content type.
type XARFType struct {
	Category string // always "content"
	Type     string // exposed_data or fraud
}

// XARFTypeOf maps an undox category to its X-ARF category and type:
//
//	doxing, intimate_images, threat, harassment → content / exposed_data
//	extortion, sextortion                       → content / fraud (fraud_type "other")
//
// X-ARF has no type for threats or harassment; exposed_data is the
// closest, since the content is about an identifiable person (the notice's
// text and the report's description and tags give the real category).
// Referral-only categories (CSAM, terrorist content) are never notified
// and give an error, and so does a category not yet assessed.
func XARFTypeOf(category string) (XARFType, error) {
	switch category {
	case undox.CategoryDoxing, undox.CategoryIntimateImages, undox.CategoryThreat, undox.CategoryHarassment:
		return XARFType{"content", "exposed_data"}, nil
	case undox.CategoryExtortion, undox.CategorySextortion:
		return XARFType{"content", "fraud"}, nil
	}
	c, ok := undox.LookupCategory(category)
	switch {
	case !ok:
		return XARFType{}, undox.Invalid("category", "unknown category %q", category)
	case c.ReferralOnly:
		return XARFType{}, undox.Invalid("category", "%s is referral-only: it goes to the competent authority, never to a notice", c.Name)
	}
	return XARFType{}, undox.Invalid("category", "category %q cannot be notified: the item must be assessed first", category)
}

// exposedKind is what undox knows of a kind of personal data: its names
// in each language and its X-ARF data type.
type exposedKind struct {
	code  string // snake_case, for X-ARF sensitive_fields
	en    string
	nl    string
	xdata string // X-ARF exposed_data data_types value
}

// exposedKinds lists the kinds that notices name. Keys are the codes of
// package personal and common English descriptions, lower case.
var exposedKinds = func() map[string]exposedKind {
	list := []struct {
		keys []string
		k    exposedKind
	}{
		{[]string{"name", "full name"}, exposedKind{"name", "name", "naam", "personal_information"}},
		{[]string{"address", "home address", "street address"}, exposedKind{"home_address", "home address", "woonadres", "personal_information"}},
		{[]string{"postcode", "postal code", "zip code"}, exposedKind{"postcode", "postcode", "postcode", "personal_information"}},
		{[]string{"phone", "phone number", "telephone number", "mobile number"}, exposedKind{"phone_number", "phone number", "telefoonnummer", "phone_numbers"}},
		{[]string{"email", "email address", "e-mail address"}, exposedKind{"email_address", "e-mail address", "e-mailadres", "email_addresses"}},
		{[]string{"handle", "social_handle", "social media account", "social media accounts", "social_url", "social media profile"}, exposedKind{"social_media_account", "social media accounts", "socialemedia-accounts", "personal_information"}},
		{[]string{"school"}, exposedKind{"school", "school", "school", "personal_information"}},
		{[]string{"workplace", "employer"}, exposedKind{"workplace", "workplace", "werkplek", "personal_information"}},
		{[]string{"id_number", "id number", "bsn", "citizen service number", "id_document", "id document", "passport number"}, exposedKind{"id_number", "ID number", "identificatienummer", "government_id"}},
		{[]string{"birth_date", "date of birth", "birth date"}, exposedKind{"date_of_birth", "date of birth", "geboortedatum", "personal_information"}},
		{[]string{"age"}, exposedKind{"age", "age", "leeftijd", "personal_information"}},
		{[]string{"photos", "photo", "photographs", "pictures"}, exposedKind{"photos", "photos", "foto's", "personal_information"}},
		{[]string{"intimate images", "intimate_images"}, exposedKind{"intimate_images", "intimate images", "intiem beeldmateriaal", "personal_information"}},
		{[]string{"iban", "bank account", "bank account number"}, exposedKind{"bank_account", "bank account number", "bankrekeningnummer", "financial"}},
		{[]string{"payment_card", "payment card", "credit card"}, exposedKind{"payment_card", "payment card number", "betaalkaartnummer", "financial"}},
		{[]string{"licence_plate", "licence plate", "license plate"}, exposedKind{"licence_plate", "licence plate", "kenteken", "personal_information"}},
		{[]string{"ip", "ip address"}, exposedKind{"ip_address", "IP address", "IP-adres", "personal_information"}},
		{[]string{"medical", "medical information", "health data"}, exposedKind{"medical_information", "medical information", "medische gegevens", "medical"}},
		{[]string{"family members", "relatives"}, exposedKind{"family_members", "family members", "familieleden", "personal_information"}},
		{[]string{"location", "whereabouts"}, exposedKind{"location", "whereabouts", "verblijfplaats", "personal_information"}},
	}
	m := map[string]exposedKind{}
	for _, e := range list {
		for _, k := range e.keys {
			m[k] = e.k
		}
	}
	return m
}()

var kindCode = regexp.MustCompile(`[^a-z0-9]+`)

// lookupKind returns what undox knows of a kind; an unknown kind is named
// as given.
func lookupKind(s string) exposedKind {
	key := strings.ToLower(strings.TrimSpace(s))
	if k, ok := exposedKinds[key]; ok {
		return k
	}
	code := strings.Trim(kindCode.ReplaceAllString(key, "_"), "_")
	return exposedKind{code: code, en: s, nl: s, xdata: "personal_information"}
}

// xarfReport is one X-ARF v4 report, in field order.
type xarfReport struct {
	XARFVersion        string         `json:"xarf_version"`
	ReportID           string         `json:"report_id"`
	Timestamp          string         `json:"timestamp"`
	Reporter           xarfContact    `json:"reporter"`
	Sender             xarfContact    `json:"sender"`
	SourceIdentifier   string         `json:"source_identifier"`
	SourcePort         int            `json:"source_port,omitempty"`
	Category           string         `json:"category"`
	Type               string         `json:"type"`
	EvidenceSource     string         `json:"evidence_source"`
	Description        string         `json:"description"`
	URL                string         `json:"url"`
	Domain             string         `json:"domain,omitempty"`
	VerifiedAt         string         `json:"verified_at,omitempty"`
	VerificationMethod string         `json:"verification_method"`
	Evidence           []xarfEvidence `json:"evidence,omitempty"`
	Tags               []string       `json:"tags"`

	// exposed_data
	DataTypes        []string `json:"data_types,omitempty"`
	ExposureMethod   string   `json:"exposure_method,omitempty"`
	SensitiveFields  []string `json:"sensitive_fields,omitempty"`
	EncryptionStatus string   `json:"encryption_status,omitempty"`
	Accessibility    string   `json:"accessibility,omitempty"`
	DiscoverySource  string   `json:"discovery_source,omitempty"`

	// fraud
	FraudType string `json:"fraud_type,omitempty"`
}

type xarfContact struct {
	Org     string `json:"org"`
	Contact string `json:"contact"`
	Domain  string `json:"domain"`
}

type xarfEvidence struct {
	ContentType string `json:"content_type"`
	Description string `json:"description"`
	Payload     string `json:"payload"`
	Hash        string `json:"hash"`
	Size        int    `json:"size"`
}

// domainPattern is content-base.json's pattern for "domain": an LDH name
// without "--" (so no A-labels), lower case.
var domainPattern = regexp.MustCompile(`^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$`)

// buildXARF returns the X-ARF report for one URL of the notice.
func buildXARF(in *Input, cat undox.Category, u *url.URL, raw string) ([]byte, error) {
	xt, err := XARFTypeOf(cat.Code)
	if err != nil {
		return nil, err
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	hotline := xarfContact{Org: in.Notifier.Organisation, Contact: in.Notifier.Email, Domain: emailDomain(in.Notifier.Email)}
	r := xarfReport{
		XARFVersion:      XARFVersion,
		ReportID:         reportID(in.MessageID, raw),
		Reporter:         hotline,
		Sender:           hotline,
		SourceIdentifier: host,
		Category:         xt.Category,
		Type:             xt.Type,
		EvidenceSource:   "user_report",
		URL:              raw,
	}
	if _, err := netip.ParseAddr(host); err != nil && domainPattern.MatchString(host) {
		r.Domain = host
	}
	if p, err := strconv.Atoi(u.Port()); err == nil && p > 0 && p < 65536 {
		r.SourcePort = p
	} else if u.Scheme == "https" {
		r.SourcePort = 443
	} else if u.Scheme == "http" {
		r.SourcePort = 80
	}
	// The incident's time is the first capture that shows the content;
	// verified_at the last.
	first, last := in.SentAt, time.Time{}
	var ev []EvidenceRef
	for _, e := range in.Evidence {
		if e.URL != raw {
			continue
		}
		ev = append(ev, e)
		if !e.CapturedAt.IsZero() && e.CapturedAt.Before(first) {
			first = e.CapturedAt
		}
		if e.CapturedAt.After(last) {
			last = e.CapturedAt
		}
	}
	r.Timestamp = first.UTC().Format(time.RFC3339)
	if !last.IsZero() {
		r.VerifiedAt = last.UTC().Format(time.RFC3339)
	}
	if in.Automatic {
		r.VerificationMethod = "automated_crawler"
	} else {
		r.VerificationMethod = "manual"
	}
	sort.Slice(ev, func(i, j int) bool { return ev[i].CapturedAt.Before(ev[j].CapturedAt) })
	for _, e := range ev {
		r.Evidence = append(r.Evidence, hashEvidence(raw, e))
	}

	kinds := make([]exposedKind, 0, len(in.Exposed))
	for _, k := range in.Exposed {
		kinds = append(kinds, lookupKind(k))
	}
	desc := cat.Name + " — " + cat.LegalBasis
	if len(kinds) > 0 {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = k.en
		}
		desc += "; personal data exposed: " + strings.Join(names, ", ")
	}
	if in.Minor {
		desc += "; a minor is concerned"
	}
	desc += ". Notice under art. 16 of the Digital Services Act (EU) 2022/2065."
	r.Description = truncate(desc, 1000)

	switch xt.Type {
	case "exposed_data":
		seenType, seenField := map[string]bool{}, map[string]bool{}
		for _, k := range kinds {
			if !seenType[k.xdata] {
				seenType[k.xdata] = true
				r.DataTypes = append(r.DataTypes, k.xdata)
			}
			if k.code != "" && !seenField[k.code] {
				seenField[k.code] = true
				r.SensitiveFields = append(r.SensitiveFields, k.code)
			}
		}
		if cat.Code == undox.CategoryIntimateImages && !seenField["intimate_images"] {
			r.SensitiveFields = append(r.SensitiveFields, "intimate_images")
		}
		if len(r.DataTypes) == 0 {
			r.DataTypes = []string{"personal_information"}
		}
		sort.Strings(r.DataTypes)
		// Doxing is publication on purpose: an intentional leak, not a
		// misconfiguration.
		r.ExposureMethod = "intentional_leak"
		r.EncryptionStatus = "unencrypted"
		r.Accessibility = "public"
		if in.Automatic {
			r.DiscoverySource = "automated_scan"
		} else {
			r.DiscoverySource = "user_report"
		}
	case "fraud":
		r.FraudType = "other"
	}

	r.Tags = []string{"abuse:" + cat.Code, "dsa:art16_notice"}
	if in.TrustedFlagger.Designation != "" {
		r.Tags = append(r.Tags, "dsa:trusted_flagger")
	}
	if in.OnlinePlatform {
		r.Tags = append(r.Tags, "dsa:art22_priority")
	}
	if in.Minor {
		r.Tags = append(r.Tags, "victim:minor")
	}
	if in.Automatic {
		r.Tags = append(r.Tags, "notice:automatic")
	}
	if in.Reminder > 0 {
		r.Tags = append(r.Tags, "notice:reminder")
	}

	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := ValidateXARF(b); err != nil {
		return nil, err
	}
	return b, nil
}

// hashEvidence describes a capture by its hashes only: the evidence item's
// payload is a short text that names the capture's time and the SHA-256
// of the page and of the screenshot, never the captured content (which
// would repeat the personal data). X-ARF requires a payload, and its hash
// covers the payload, as receivers verify.
func hashEvidence(rawURL string, e EvidenceRef) xarfEvidence {
	var b strings.Builder
	fmt.Fprintf(&b, "url: %s\n", rawURL)
	if !e.CapturedAt.IsZero() {
		fmt.Fprintf(&b, "captured_at: %s\n", e.CapturedAt.UTC().Format(time.RFC3339))
	}
	if e.PageSHA256 != "" {
		fmt.Fprintf(&b, "page_sha256: %s\n", strings.ToLower(e.PageSHA256))
	}
	if e.ScreenshotSHA256 != "" {
		fmt.Fprintf(&b, "screenshot_sha256: %s\n", strings.ToLower(e.ScreenshotSHA256))
	}
	payload := []byte(b.String())
	sum := sha256.Sum256(payload)
	return xarfEvidence{
		ContentType: "text/plain",
		Description: "SHA-256 digests of the hotline's capture of the page and its screenshot; the captured content is not attached",
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Hash:        "sha256:" + hex.EncodeToString(sum[:]),
		Size:        len(payload),
	}
}

// reportID derives the report's UUID from the notice's Message-ID and the
// URL, so that a notice rendered again for a resend carries the same
// reports. It has the layout of a version-4 UUID (X-ARF asks for v4); its
// 122 bits come from SHA-256 instead of a random source.
func reportID(messageID, rawURL string) string {
	var b [16]byte
	if messageID == "" {
		// No identity to derive from (a preview): random.
		rand.Read(b[:])
	} else {
		sum := sha256.Sum256([]byte("undox-xarf-report\x00" + messageID + "\x00" + rawURL))
		copy(b[:], sum[:])
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func emailDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
