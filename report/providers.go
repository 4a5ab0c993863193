package report

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

// The yearly report on bad hosting: the providers' scorecards, ranked
// worst first (undox.RankProviders), as CSV or JSON. Numbers in these
// files are for machines: a dot before decimals, no grouping.

// CSVHeader names the columns of ProvidersCSV.
var CSVHeader = []string{"kind", "rank", "key", "name", "asn", "roles", "notices", "notified", "removed", "removal_rate",
	"median_minutes", "p90_minutes", "ignored", "disputed", "from", "to"}

// ProvidersCSV writes the organisations' scorecards, then the hosting
// networks', one row each.
func ProvidersCSV(w io.Writer, r *undox.ProviderReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, part := range []struct {
		kind   string
		scores []undox.ProviderScore
	}{{"organisation", r.Providers}, {"network", r.Networks}} {
		for _, p := range part.scores {
			asn := ""
			if p.ASN != 0 {
				asn = strconv.FormatUint(uint64(p.ASN), 10)
			}
			row := []string{part.kind, strconv.Itoa(p.Rank), cell(p.Key), cell(p.Name), asn, cell(strings.Join(p.Roles, " ")),
				strconv.Itoa(p.Notices), strconv.Itoa(p.Notified), strconv.Itoa(p.Removed), strconv.FormatFloat(p.RemovalRate, 'f', -1, 64),
				minutes(p.MedianMinutes), minutes(p.P90Minutes), strconv.Itoa(p.Ignored), strconv.Itoa(p.Disputed), r.From, r.To}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// ProvidersJSON writes the report as JSON.
func ProvidersJSON(w io.Writer, r *undox.ProviderReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func minutes(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// cell keeps a text that others chose (an organisation's name, from RDAP
// or WHOIS) from being read as a formula by a spreadsheet: one that
// starts like a formula gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
