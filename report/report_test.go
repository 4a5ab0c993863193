package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

// Synthetic data only: made-up organisations and documentation AS numbers.

func TestNumbersAndDays(t *testing.T) {
	require.Equal(t, "1.234,5", Number("nl", 1234.5, 1))
	require.Equal(t, "1,234.5", Number("en", 1234.5, 1))
	require.Equal(t, "1.234.567", Number("nl", 1234567, 0))
	require.Equal(t, "0,0", Number("nl", 0, 1))
	require.Equal(t, "4 mrt", Day("nl", "2026-03-04"))
	require.Equal(t, "4 Mar", Day("en", "2026-03-04"))
	require.Equal(t, "not a day", Day("en", "not a day"))
}

// svgFacts parses an SVG and lists what a page's security and a reader
// care about.
type svgFacts struct {
	elements   map[string]int
	attributes map[string]bool
	texts      []string
	title      string
	desc       string
}

func parseSVG(t *testing.T, b []byte) svgFacts {
	t.Helper()
	f := svgFacts{elements: map[string]int{}, attributes: map[string]bool{}}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML: %s", b)
		switch v := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				require.Equal(t, "svg", v.Name.Local)
				require.Equal(t, "http://www.w3.org/2000/svg", v.Name.Space)
			}
			stack = append(stack, v.Name.Local)
			f.elements[v.Name.Local]++
			for _, a := range v.Attr {
				f.attributes[a.Name.Local] = true
				require.NotContains(t, strings.ToLower(a.Value), "url(", "no reference out of the document")
				require.NotContains(t, strings.ToLower(a.Value), "javascript", "no script")
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "title":
				f.title += string(v)
			case "desc":
				f.desc += string(v)
			case "text", "tspan":
				f.texts = append(f.texts, string(v))
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
			t.Fatalf("the chart holds %T", v)
		}
	}
	// Nothing that runs, links or styles: a page with a strict
	// Content-Security-Policy shows it as it is.
	for _, el := range []string{"script", "style", "foreignObject", "a", "image", "use", "iframe"} {
		require.Zero(t, f.elements[el], "no <%s>", el)
	}
	for a := range f.attributes {
		require.NotEqual(t, "style", a, "no style attribute")
		require.NotEqual(t, "href", a, "no link")
		require.False(t, strings.HasPrefix(strings.ToLower(a), "on"), "no event handler: %s", a)
	}
	return f
}

var dashboard = &undox.Dashboard{
	OpenItems: []undox.StateCount{{State: undox.ItemNew, Count: 1234}, {State: undox.ItemCaptured, Count: 40},
		{State: undox.ItemUnreachable}, {State: undox.ItemConfirmed, Count: 12}, {State: undox.ItemNotified, Count: 230},
		{State: undox.ItemEscalated, Count: 17}, {State: undox.ItemReappeared, Count: 2}},
	ReportsPerDay: []undox.DayCount{{Day: "2026-03-04", Count: 7}, {Day: "2026-03-05", Count: 0}, {Day: "2026-03-06", Count: 3}},
}

var dutchStates = map[undox.ItemStatus]string{undox.ItemNew: "nieuw", undox.ItemCaptured: "vastgelegd",
	undox.ItemUnreachable: "onbereikbaar", undox.ItemConfirmed: "bevestigd", undox.ItemNotified: "gemeld",
	undox.ItemEscalated: "geëscaleerd", undox.ItemReappeared: "teruggekomen"}

func TestOpenItemsChart(t *testing.T) {
	b, err := OpenItems(dashboard, Text{Lang: "nl", Title: "Open items per status", Desc: "Hoeveel items nog werk vragen.", States: dutchStates})
	require.NoError(t, err)
	f := parseSVG(t, b)
	require.Equal(t, "Open items per status", f.title)
	require.Equal(t, "Hoeveel items nog werk vragen.", f.desc)
	require.Contains(t, f.texts, "Open items per status")
	for _, name := range dutchStates {
		require.Contains(t, f.texts, name, "every state is named")
	}
	require.Contains(t, f.texts, "1.234", "a Dutch number")
	require.NotContains(t, f.texts, "1,234")
	for _, v := range []string{"40", "12", "230", "17", "2"} {
		require.Contains(t, f.texts, v, "each bar says its count")
	}

	en, err := OpenItems(dashboard, Text{Lang: "en", Title: "Open items by state"})
	require.NoError(t, err)
	require.Contains(t, parseSVG(t, en).texts, "1,234")
	require.Contains(t, parseSVG(t, en).texts, "new", "a state without a name keeps its code")
}

func TestReportsPerDayChart(t *testing.T) {
	b, err := ReportsPerDay(dashboard, Text{Lang: "nl", Title: "Meldingen per dag"})
	require.NoError(t, err)
	f := parseSVG(t, b)
	require.Contains(t, f.texts, "4 mrt")
	require.Contains(t, f.texts, "6 mrt")
	b, err = ReportsPerDay(&undox.Dashboard{}, Text{Lang: "en", Title: "Reports per day", Empty: "No reports yet."})
	require.NoError(t, err)
	require.Equal(t, []string{"Reports per day", "No reports yet."}, parseSVG(t, b).texts)
}

func m(v int64) *int64 { return &v }

var providers = &undox.ProviderReport{From: "2026-01-01", To: "2026-12-31",
	Providers: []undox.ProviderScore{
		{Rank: 1, Key: "example registrar", Name: "Example Registrar", Roles: []string{"registrar"}, Notices: 2, Notified: 1, Ignored: 1},
		{Rank: 2, Key: "=cmd", Name: "=HYPERLINK(\"https://evil.example\")", Roles: []string{"host"}, Notified: 2, Removed: 1,
			RemovalRate: 0.5, MedianMinutes: m(4320), P90Minutes: m(4320), Ignored: 1, Disputed: 1},
		{Rank: 3, Key: "example hosting bv", Name: "Example Hosting B.V. <script>alert(1)</script>", Roles: []string{"cdn", "host"},
			Notices: 5, Notified: 4, Removed: 3, RemovalRate: 0.75, MedianMinutes: m(90), P90Minutes: m(300), Ignored: 1},
	},
	Networks: []undox.ProviderScore{{Rank: 1, Key: "AS64500", Name: "EXAMPLE-AS", ASN: 64500, Notices: 6, Notified: 5, Removed: 3,
		RemovalRate: 0.6, MedianMinutes: m(90), P90Minutes: m(300), Ignored: 2}},
}

func TestProvidersChart(t *testing.T) {
	b, err := Providers(providers, Text{Lang: "nl", Title: "Mediane tijd tot verwijdering (uren)"})
	require.NoError(t, err)
	f := parseSVG(t, b)
	require.Contains(t, f.texts, "72,0", "4320 minutes in hours, the Dutch way")
	require.Contains(t, f.texts, "1,5")
	require.Contains(t, f.texts, "Example Hosting B.V. …", "long names are cut")
	require.NotContains(t, f.texts, "Example Registrar", "removed nothing: no median to draw")
	require.NotContains(t, string(b), "<script", "a name is text, escaped")
	// Slowest on top.
	y := func(label string) int {
		m := regexp.MustCompile(`<text x="\d+" y="(\d+)"[^>]*>` + regexp.QuoteMeta(label) + `</text>`).FindStringSubmatch(string(b))
		require.NotNil(t, m, label)
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	require.Less(t, y("=HYPERLINK(&#34;https://e…"), y("Example Hosting B.V. …"))

	b, err = Providers(&undox.ProviderReport{}, Text{Lang: "en", Title: "Median time to removal (hours)", Empty: "Nothing was removed in this period."})
	require.NoError(t, err)
	require.Equal(t, []string{"Median time to removal (hours)", "Nothing was removed in this period."}, parseSVG(t, b).texts)
}

func TestSanitize(t *testing.T) {
	hostile := `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg"
 xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
 <script>alert(2)</script><!-- a comment -->
 <path d="M 0 0 L 1 1" style="fill:url(https://evil.example/x);stroke:rgb(1,2,3);behavior:x" onclick="alert(3)"/>
 <a xlink:href="https://evil.example/"><text x="1" y="2">click</text></a>
 <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
 <text x="1" y="5" fill="javascript:alert(4)" font-family="'Roboto Medium',sans-serif">kept &lt;b&gt;</text>
 <svg><text>inner</text></svg>
</svg>`
	b, err := sanitize([]byte(hostile), "T <i>", "D")
	require.NoError(t, err)
	f := parseSVG(t, b)
	require.Equal(t, []string{"kept <b>"}, f.texts)
	require.Equal(t, "T <i>", f.title)
	require.Equal(t, 1, f.elements["path"])
	require.Contains(t, string(b), `stroke="rgb(1,2,3)"`, "a style becomes presentation attributes")
	require.NotContains(t, string(b), "evil")
	require.NotContains(t, string(b), "alert")
	require.Contains(t, string(b), `width="10" height="10"`, "an <img> gets the chart's size")

	_, err = sanitize([]byte(`<html><body>no svg</body></html>`), "", "")
	require.Error(t, err)
	_, err = sanitize([]byte(`<svg><path d="M 0 0"`), "", "")
	require.Error(t, err, "cut off")
}

func TestProvidersCSV(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, ProvidersCSV(&b, providers))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+3+1)
	require.Equal(t, CSVHeader, rows[0])
	require.Equal(t, []string{"organisation", "1", "example registrar", "Example Registrar", "", "registrar", "2", "1", "0", "0", "", "", "1", "0",
		"2026-01-01", "2026-12-31"}, rows[1])
	require.Equal(t, "'=HYPERLINK(\"https://evil.example\")", rows[2][3], "no formula for a spreadsheet")
	require.Equal(t, "'=cmd", rows[2][2])
	require.Equal(t, []string{"organisation", "3", "example hosting bv", "Example Hosting B.V. <script>alert(1)</script>", "", "cdn host",
		"5", "4", "3", "0.75", "90", "300", "1", "0", "2026-01-01", "2026-12-31"}, rows[3])
	require.Equal(t, []string{"network", "1", "AS64500", "EXAMPLE-AS", "64500", "", "6", "5", "3", "0.6", "90", "300", "2", "0",
		"2026-01-01", "2026-12-31"}, rows[4])

	var j bytes.Buffer
	require.NoError(t, ProvidersJSON(&j, providers))
	var back undox.ProviderReport
	require.NoError(t, json.Unmarshal(j.Bytes(), &back))
	require.Equal(t, *providers, back)
}
