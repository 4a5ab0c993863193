package notice

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

// publishedSchema compiles the X-ARF v4 master schema from the package's
// copies of the published files with the library directly, apart from
// ValidateXARF, so that the tests check the reports against the schema
// and not only against ValidateXARF.
func publishedSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	root := filepath.Join("schema", "xarf", "v4")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		return c.AddResource(doc.(map[string]any)["$id"].(string), doc)
	})
	require.NoError(t, err)
	sch, err := c.Compile("https://xarf.org/schemas/v4/xarf-v4-master.json")
	require.NoError(t, err)
	return sch
}

func validAgainst(t *testing.T, sch *jsonschema.Schema, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	require.NoError(t, sch.Validate(inst), string(doc))
}

type report struct {
	XARFVersion      string         `json:"xarf_version"`
	ReportID         string         `json:"report_id"`
	Timestamp        string         `json:"timestamp"`
	Reporter         map[string]any `json:"reporter"`
	Sender           map[string]any `json:"sender"`
	SourceIdentifier string         `json:"source_identifier"`
	Category         string         `json:"category"`
	Type             string         `json:"type"`
	URL              string         `json:"url"`
	Domain           string         `json:"domain"`
	DataTypes        []string       `json:"data_types"`
	SensitiveFields  []string       `json:"sensitive_fields"`
	ExposureMethod   string         `json:"exposure_method"`
	FraudType        string         `json:"fraud_type"`
	Description      string         `json:"description"`
	Tags             []string       `json:"tags"`
	Evidence         []struct {
		ContentType string `json:"content_type"`
		Payload     string `json:"payload"`
		Hash        string `json:"hash"`
		Size        int    `json:"size"`
	} `json:"evidence"`
	AffectedOrganization *string `json:"affected_organization"`
	SampleRecords        any     `json:"sample_records"`
}

func TestXARFPerURLValidAndMapped(t *testing.T) {
	sch := publishedSchema(t)
	for _, c := range []struct {
		category, typ string
	}{
		{undox.CategoryDoxing, "exposed_data"},
		{undox.CategoryIntimateImages, "exposed_data"},
		{undox.CategoryThreat, "exposed_data"},
		{undox.CategoryHarassment, "exposed_data"},
		{undox.CategoryExtortion, "fraud"},
		{undox.CategorySextortion, "fraud"},
	} {
		for _, role := range roles {
			in := input(t, role, "en")
			in.Category = c.category
			in.Exposed = append(in.Exposed, "ID number")
			in.URLs = append(in.URLs, "http://192.0.2.10:8080/mirror.html", "https://xn--bcher-kva.example/dox")
			if role == undox.RoleRegistrar || role == undox.RoleRegistry {
				in.URLs = in.URLs[:2]
			}
			n, err := Render(in, nil)
			require.NoError(t, err, c.category)
			require.Len(t, n.XARF, len(in.URLs))
			ids := map[string]bool{}
			for i, doc := range n.XARF {
				validAgainst(t, sch, doc)
				require.NoError(t, ValidateXARF(doc))
				var r report
				require.NoError(t, json.Unmarshal(doc, &r))
				require.Equal(t, XARFVersion, r.XARFVersion)
				require.Equal(t, "content", r.Category)
				require.Equal(t, c.typ, r.Type)
				require.Equal(t, in.URLs[i], r.URL)
				require.Equal(t, "abuse:"+c.category, r.Tags[0])
				require.Contains(t, r.Tags, "dsa:trusted_flagger")
				// The hotline is reporter and sender.
				hotline := map[string]any{"org": "Meldpunt Voorbeeld", "contact": "meldingen@meldpunt-voorbeeld.example", "domain": "meldpunt-voorbeeld.example"}
				require.Equal(t, hotline, r.Reporter)
				require.Equal(t, hotline, r.Sender)
				// Never whose data it is.
				require.Nil(t, r.AffectedOrganization)
				require.Nil(t, r.SampleRecords)
				require.Contains(t, r.Description, "Wetboek van Strafrecht")
				ids[r.ReportID] = true
				switch c.typ {
				case "exposed_data":
					require.Equal(t, "intentional_leak", r.ExposureMethod)
					require.Contains(t, r.DataTypes, "government_id")
					require.Contains(t, r.DataTypes, "phone_numbers")
					require.Contains(t, r.SensitiveFields, "home_address")
				case "fraud":
					require.Equal(t, "other", r.FraudType)
				}
			}
			require.Len(t, ids, len(in.URLs), "one report ID per URL")
		}
	}
}

func TestXARFDetails(t *testing.T) {
	in := input(t, undox.RoleHost, "nl")
	in.URLs = append(in.URLs, "http://192.0.2.10:8080/mirror.html", "https://xn--bcher-kva.example/dox")
	in.Minor, in.Automatic = true, true
	n, err := Render(in, nil)
	require.NoError(t, err)
	var rs []report
	for _, doc := range n.XARF {
		var r report
		require.NoError(t, json.Unmarshal(doc, &r))
		rs = append(rs, r)
	}
	// The source and its domain.
	require.Equal(t, "doxsite.example", rs[0].SourceIdentifier)
	require.Equal(t, "doxsite.example", rs[0].Domain)
	require.Equal(t, "192.0.2.10", rs[2].SourceIdentifier)
	require.Empty(t, rs[2].Domain)
	require.Equal(t, "xn--bcher-kva.example", rs[3].SourceIdentifier)
	require.Empty(t, rs[3].Domain, "the schema's domain pattern has no room for A-labels")
	// The incident's time is the first capture; without one, the notice's.
	require.Equal(t, "2026-07-14T08:30:00Z", rs[0].Timestamp)
	require.Equal(t, "2026-07-14T10:30:00Z", rs[1].Timestamp)
	require.Contains(t, rs[0].Tags, "victim:minor")
	require.Contains(t, rs[0].Tags, "notice:automatic")

	// Evidence: hashes, never the capture. The payload is a short text of
	// hashes, and the hash covers the payload as receivers verify.
	require.Len(t, rs[0].Evidence, 1)
	require.Empty(t, rs[1].Evidence)
	ev := rs[0].Evidence[0]
	payload, err := base64.StdEncoding.DecodeString(ev.Payload)
	require.NoError(t, err)
	sum := sha256.Sum256(payload)
	require.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), ev.Hash)
	require.Equal(t, len(payload), ev.Size)
	require.Equal(t, "text/plain", ev.ContentType)
	require.Equal(t, "url: "+in.URLs[0]+"\ncaptured_at: 2026-07-14T08:30:00Z\npage_sha256: "+strings.Repeat("1a", 32)+
		"\nscreenshot_sha256: "+strings.Repeat("2b", 32)+"\n", string(payload))

	// The same notice rendered again (a resend) carries the same reports.
	again, err := Render(in, nil)
	require.NoError(t, err)
	require.Equal(t, n.XARF, again.XARF)
	require.Equal(t, n.Text, again.Text)
	in.MessageID = "<notice.18@meldpunt-voorbeeld.example>"
	other, err := Render(in, nil)
	require.NoError(t, err)
	require.NotEqual(t, n.XARF[0], other.XARF[0])
}

func TestXARFTypeOf(t *testing.T) {
	for _, code := range []string{undox.CategoryCSAM, undox.CategoryTerrorism, undox.CategoryUnassessed, "nonsense"} {
		_, err := XARFTypeOf(code)
		require.Error(t, err, code)
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
	}
	_, err := XARFTypeOf(undox.CategoryCSAM)
	require.Contains(t, err.Error(), "referral-only")
	// Every category is either mapped or refused: none falls through.
	for _, c := range undox.Categories() {
		xt, err := XARFTypeOf(c.Code)
		if c.ReferralOnly || c.Code == undox.CategoryUnassessed {
			require.Error(t, err, c.Code)
			continue
		}
		require.NoError(t, err, c.Code)
		require.Equal(t, "content", xt.Category)
	}
}

// TestPublishedSamplesValidate: ValidateXARF accepts the published samples
// of every category and type.
func TestPublishedSamplesValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "xarf", "samples", "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 32)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, ValidateXARF(b), f)
	}
}

func TestValidateXARFRejects(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "xarf", "samples", "content-exposed-data.json"))
	require.NoError(t, err)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sample, &m))
		f(m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	for name, doc := range map[string][]byte{
		"not JSON":                      []byte("{"),
		"not an object":                 []byte(`[{"xarf_version":"4.2.0"}]`),
		"no reporter":                   edit(func(m map[string]any) { delete(m, "reporter") }),
		"no url":                        edit(func(m map[string]any) { delete(m, "url") }),
		"an unknown type":               edit(func(m map[string]any) { m["type"] = "doxing" }),
		"an unknown category":           edit(func(m map[string]any) { m["category"] = "privacy" }),
		"exposed data without types":    edit(func(m map[string]any) { delete(m, "data_types") }),
		"exposed data, unknown type":    edit(func(m map[string]any) { m["data_types"] = []string{"home_address"} }),
		"exposed data without method":   edit(func(m map[string]any) { delete(m, "exposure_method") }),
		"a report ID that is no UUID":   edit(func(m map[string]any) { m["report_id"] = "notice-17" }),
		"a timestamp that is no time":   edit(func(m map[string]any) { m["timestamp"] = "yesterday" }),
		"a version 3":                   edit(func(m map[string]any) { m["xarf_version"] = "3.0.0" }),
		"a contact that is no address":  edit(func(m map[string]any) { m["reporter"].(map[string]any)["contact"] = "meldpunt" }),
		"evidence without payload":      edit(func(m map[string]any) { delete(m["evidence"].([]any)[0].(map[string]any), "payload") }),
		"a malformed tag":               edit(func(m map[string]any) { m["tags"] = []string{"Doxing"} }),
		"a description over 1000 chars": edit(func(m map[string]any) { m["description"] = strings.Repeat("x", 1001) }),
	} {
		require.Error(t, ValidateXARF(doc), name)
	}
}
