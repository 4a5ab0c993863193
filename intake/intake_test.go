package intake_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

var admin = undox.Actor{Kind: "token", TokenID: 1, Name: "partner-hotline", Role: undox.RoleAdmin}

func newService(t *testing.T) (*intake.Service, *sqlstore.Store) {
	s := dbtest.NewStack(t, dbtest.Backends()[0])
	t.Cleanup(s.Queue(t, job.Config{}).Close)
	return &intake.Service{Store: s.Store, PublicURL: "https://hotline.example/"}, s.Store
}

func TestValidateReportsEveryProblem(t *testing.T) {
	_, err := intake.Validate(undox.Report{URLs: []string{"https://ok.example/a", "ftp://x.example/", ""},
		Category: "gossip", ReporterEmail: "not an address", Language: "de"})
	require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
	fields := undox.ErrorFields(err)
	for _, f := range []string{"urls[1]", "urls[2]", "category", "reporter_email", "language"} {
		require.Contains(t, fields, f)
	}
	require.NotContains(t, fields, "urls[0]")

	r, err := intake.Validate(undox.Report{URLs: []string{"https://A.example/x", "https://a.example/x#top"}, Consent: true})
	require.NoError(t, err)
	require.Equal(t, []string{"https://a.example/x"}, r.URLs, "one page, written twice, is one URL")
	require.Equal(t, undox.CategoryUnassessed, r.Category)
	require.Equal(t, "nl", r.Language)
	require.False(t, r.Consent, "no updates without an address to send them to")

	_, err = intake.Validate(undox.Report{})
	require.Contains(t, undox.ErrorFields(err), "urls")
}

func TestSubmitHandlesMinorsIntimateImagesAsCSAM(t *testing.T) {
	svc, store := newService(t)
	r, err := svc.Submit(context.Background(), undox.Public, intake.Submission{Report: undox.Report{
		URLs: []string{"https://pics.example/1"}, Category: "intimate_images", IsMinor: true}})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(r.StatusURL, "https://hotline.example/status/"))
	require.Equal(t, r.StatusURL, "https://hotline.example/status/"+r.StatusToken)
	c, err := store.Case(context.Background(), admin, r.CaseRef)
	require.NoError(t, err)
	require.Equal(t, "intimate_images", c.Category)
	require.Equal(t, undox.CategoryCSAM, c.Handling)
	require.Equal(t, undox.CategoryCSAM, c.Items[0].Category, "the item is never fetched")
	got, err := store.CaseByStatusToken(context.Background(), secret.Hash(r.StatusToken))
	require.NoError(t, err)
	require.Equal(t, r.CaseRef, got.Ref)
}

func collect(t *testing.T, svc *intake.Service, partner, format, body string) ([]intake.RowResult, intake.Summary) {
	var rows []intake.RowResult
	sum, err := svc.Import(context.Background(), admin, partner, format, strings.NewReader(body), func(r intake.RowResult) error {
		rows = append(rows, r)
		return nil
	})
	require.NoError(t, err)
	return rows, sum
}

func TestImportCSV(t *testing.T) {
	svc, _ := newService(t)
	csv := "\ufeffurl,category,is_minor,external_ref,description\n" +
		"https://dox.example/1,doxing,ja,P-1,\"address, school\"\n" +
		"not a url,doxing,no,P-2,\n" +
		"https://dox.example/3,doxing,maybe,P-3,\n" +
		"https://dox.example/4,threat,false,P-4,x,extra\n" +
		"https://dox.example/5,,,P-5,\n"
	rows, sum := collect(t, svc, "hotline-a", "csv", csv)
	require.Equal(t, intake.Summary{Rows: 5, Created: 2, Errors: 3}, sum)
	require.Equal(t, "created", rows[0].Status)
	require.Equal(t, "P-1", rows[0].ExternalRef)
	require.Equal(t, "error", rows[1].Status)
	require.Contains(t, rows[1].Fields, "urls[0]")
	require.Contains(t, rows[2].Fields, "is_minor")
	require.Equal(t, "error", rows[3].Status)
	require.Equal(t, "created", rows[4].Status)

	// The same rows again: nothing is imported twice; the fixed row now goes in.
	fixed := strings.Replace(csv, "not a url", "https://dox.example/2", 1)
	rows, sum = collect(t, svc, "hotline-a", "csv", fixed)
	require.Equal(t, 3, sum.Duplicates+sum.Created)
	require.Equal(t, 1, sum.Created)
	require.Equal(t, "duplicate", rows[0].Status)
	require.Empty(t, rows[0].StatusURL, "the status link is shown only once")

	// Another partner's references are its own.
	_, sum = collect(t, svc, "hotline-b", "csv", "url,external_ref\nhttps://dox.example/1,P-1\n")
	require.Equal(t, 1, sum.Created)
}

func TestImportCSVHeaderErrors(t *testing.T) {
	svc, _ := newService(t)
	for _, body := range []string{"", "category\ndoxing\n", "url,colour\nhttps://a.example/,red\n"} {
		_, err := svc.Import(context.Background(), admin, "p", "csv", strings.NewReader(body), func(intake.RowResult) error { return nil })
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err), body)
	}
}

func TestImportJSON(t *testing.T) {
	svc, _ := newService(t)
	rows, sum := collect(t, svc, "p", "json", `[
		{"url": "https://dox.example/j1", "external_ref": "J1", "is_minor": true},
		{"url": "https://dox.example/j2", "external_ref": "J2", "is_minor": "yes"},
		{"urls": ["https://dox.example/j3", "https://dox.example/j3b"], "external_ref": "J3", "colour": 1},
		{"urls": ["https://dox.example/j4"], "category": "harassment"}
	]`)
	require.Equal(t, intake.Summary{Rows: 4, Created: 2, Errors: 2}, sum)
	require.Equal(t, "J2", rows[1].ExternalRef, "a bad row still names its reference")
	require.Contains(t, rows[1].Message, "is_minor")
	require.Contains(t, rows[2].Message, "colour")

	// One object per line: a broken line is one bad row.
	_, sum = collect(t, svc, "p", "json", "{\"url\":\"https://dox.example/n1\"}\n{broken\n\n{\"url\":\"https://dox.example/n2\"}\n")
	require.Equal(t, intake.Summary{Rows: 3, Created: 2, Errors: 1}, sum)

	// A broken array stops where it breaks and says so; rows before it stay.
	_, sum = collect(t, svc, "p", "json", `[{"url":"https://dox.example/a1"}, {"url": ]`)
	require.Equal(t, 1, sum.Created)
	require.Contains(t, sum.Stopped, "malformed JSON at row 2")
}

func TestImportThousandsOfRows(t *testing.T) {
	svc, store := newService(t)
	var sb strings.Builder
	sb.WriteString("url,external_ref\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&sb, "https://dox.example/bulk/%d,B-%d\n", i, i)
	}
	_, sum := collect(t, svc, "bulk", "csv", sb.String())
	require.Equal(t, 3000, sum.Created)
	items, err := store.Items(context.Background(), admin, undox.ItemFilter{Limit: 500})
	require.NoError(t, err)
	require.Len(t, items, 500)
}

func TestSubmitRefusesInternalAddresses(t *testing.T) {
	svc, _ := newService(t)
	for _, u := range []string{"http://127.0.0.1:8080/api/v1/cases", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/",
		"http://192.168.1.1/", "http://[::1]/", "http://[fd00::1]/", "http://100.64.0.1/", "https://printer.local/", "https://db.internal/x",
		"http://[::ffff:127.0.0.1]/"} {
		_, err := svc.Submit(context.Background(), undox.Public, intake.Submission{Report: undox.Report{URLs: []string{"https://ok.example/", u}}})
		require.Equal(t, undox.EINVALID, undox.ErrorCode(err), u)
		require.Contains(t, undox.ErrorFields(err), "urls[1]", u)
	}
	_, err := svc.Submit(context.Background(), undox.Public, intake.Submission{Report: undox.Report{URLs: []string{"http://192.0.2.10/page"}}})
	require.NoError(t, err, "a public address is fine")
	svc.AllowPrivate = true
	_, err = svc.Submit(context.Background(), undox.Public, intake.Submission{Report: undox.Report{URLs: []string{"http://127.0.0.1:8080/x"}}})
	require.NoError(t, err, "allowed for tests and development")
}
