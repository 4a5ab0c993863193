package web

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/personal"
)

// Every string of the console exists in Dutch and in English: those its
// templates name, and those its code looks up by a prefix and a code of
// the domain (states, categories, roles, kinds…).
func TestConsoleStrings(t *testing.T) {
	for k, v := range consoleMessages {
		require.True(t, strings.HasPrefix(k, "console_"), k)
		require.NotEmpty(t, strings.TrimSpace(v[0]), "%s has no Dutch", k)
		require.NotEmpty(t, strings.TrimSpace(v[1]), "%s has no English", k)
		require.Equal(t, strings.Count(v[0], "%"), strings.Count(v[1], "%"), "%s: the same placeholders in both", k)
		require.Equal(t, v, messages[k], "%s is in the catalog", k)
	}
	used := map[string]bool{}
	ref := regexp.MustCompile(`\.T\.([a-z_0-9]+)`)
	for _, name := range []string{"staff_queue.html", "staff_case.html", "staff_bulk.html"} {
		b, err := os.ReadFile("template/" + name)
		require.NoError(t, err)
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	code := regexp.MustCompile(`"(console_[a-z_0-9]+)"`)
	for _, name := range []string{"queue.go", "case_page.go", "bulk.go"} {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range code.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], "_") {
				used[m[1]] = true
			}
		}
	}
	family := func(prefix string, codes ...string) {
		for _, c := range codes {
			used[prefix+c] = true
		}
	}
	for _, tr := range undox.ItemTransitions() {
		family("console_item_", tr.From, tr.To)
	}
	for _, tr := range undox.ItemTransitions() {
		family("console_event_", string(tr.Event))
	}
	family("console_object_", "case", "item", "notice", "capture")
	family("console_reason_", "home_address", "id_number", "payment", "phone", "birth_date", "school", "contact", "other",
		"photos", "minor", "protected", "protected_not_doxed")
	for _, tr := range undox.CaseTransitions() {
		family("console_case_", tr.From, tr.To)
	}
	for _, tr := range undox.NoticeTransitions() {
		family("console_notice_", tr.From, tr.To)
	}
	for _, c := range undox.Categories() {
		family("console_cat_", c.Code)
	}
	family("console_role_", undox.RecipientRoles()...)
	family("console_action_", undox.FourEyesActions()...)
	family("console_done_", undox.FourEyesConfirm, undox.FourEyesReject, undox.FourEyesEscalate, undox.FourEyesClose,
		"request_"+undox.PendingApproved, "request_"+undox.PendingDeclined, "request_"+undox.PendingCanceled)
	family("console_pending_", "item", "notice", "case")
	family("console_bulk_item_", undox.BulkItemWaiting, undox.BulkItemDone, undox.BulkItemRequested, undox.BulkItemFailed)
	family("console_scope_", string(undox.ScopeDomain), string(undox.ScopeNetwork), string(undox.ScopeASN), string(undox.ScopeOrg))
	family("console_channel_", undox.ChannelEmail, undox.ChannelWebForm, undox.ChannelAPI)
	family("console_check_", undox.CheckGone, undox.CheckChanged, undox.CheckUp, undox.CheckMoved, undox.CheckUnreachable)
	family("console_check_reason_", undox.RecheckScheduled, undox.RecheckConfirm, undox.RecheckStaff, undox.RecheckResponse)
	family("console_resp_", undox.ResponseRemoved, undox.ResponseWillRemove, undox.ResponseDisputed, undox.ResponseNotOurCustomer,
		undox.ResponseReply, undox.ResponseBounce, undox.ResponseAutoReply)
	family("console_level_", "none", "low", "medium", "high", "critical")
	family("console_alt_", undox.FileScreenshot, undox.FileImage)
	family("console_pd_", undox.IdentifierKinds()...)
	family("console_pd_", "bsn", "iban", "phone", "email", "postcode", "address", "licence_plate", "birth_date", "age",
		"id_document", "payment_card", "ip", "social_handle", "social_url")
	family("console_contact_err_", "scope", "key", "role", "name", "email", "web_form", "api", "language", "country", "notes")
	for k := range used {
		v, ok := messages[k]
		require.True(t, ok, "%s is used but not in the catalog", k)
		require.NotEmpty(t, v[0], k)
		require.NotEmpty(t, v[1], k)
	}
}

// The highlighted text: spans by their offsets, by their value when the
// offsets do not fit, overlaps left out, never a cut inside a character.
func TestConsoleHighlight(t *testing.T) {
	text := "Bel 06 12 34 56 78, mail é@example.org"
	phone := strings.Index(text, "06")
	spans := consoleFindingSpans(text,
		[]byte(`[{"type":"phone","start":`+strconv.Itoa(phone)+`,"end":`+strconv.Itoa(phone+14)+`,"value":"+31612345678"},
		{"type":"email","start":500,"end":520,"value":"é@example.org"},
		{"type":"ip","start":`+strconv.Itoa(phone+1)+`,"end":`+strconv.Itoa(phone+3)+`,"value":"x"},
		{"type":"age","start":1,"end":`+strconv.Itoa(strings.Index(text, "é")+1)+`,"value":"zz"}]`),
		[]byte(`{"matches":[{"person":"case:X/person:1","kind":"name","start":0,"end":3}]}`))
	segs := highlightText(tr("en"), text, spans)
	var b strings.Builder
	for _, s := range segs {
		if s.Mark {
			b.WriteString("[" + s.Kind + ":" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	require.Equal(t, "[name of a protected person:Bel] [phone number:06 12 34 56 78], mail [e-mail address:é@example.org]", b.String())
	require.Equal(t, []textSegment{{Text: "no findings"}}, highlightText(tr("en"), "no findings", consoleFindingSpans("no findings", nil, nil)))
}

// Why a scan assessed a page, as package personal writes it, reads in
// Dutch on a Dutch page: the factors and the kinds of personal data.
func TestConsoleReasonsInDutch(t *testing.T) {
	a := personal.Assess([]personal.Finding{
		{Type: personal.TypeAddress, Value: "Voorbeeldstraat 12", Valid: true},
		{Type: personal.TypePostcode, Value: "1234 AB", Valid: true},
		{Type: personal.TypePhone, Value: "+31612345678", Valid: true}},
		[]personal.Match{{Person: "P1", Kind: "name", Start: 0, End: 3}, {Person: "P1", Kind: "address", Start: 0, End: 18}},
		personal.AssessOptions{Minor: true, Images: 2})
	var nl, en []string
	for _, r := range a.Reasons {
		nl, en = append(nl, consoleReason(tr("nl"), r)), append(en, consoleReason(tr("en"), r))
	}
	require.Equal(t, []string{"doxt P1 (naam, adres)", "minderjarige: bekend als minderjarig", "woonadres: adres × 2, postcode × 1",
		"foto's: 2", "telefoonnummer: telefoonnummer × 1"}, nl)
	require.Equal(t, []string{"doxes P1 (name, address)", "minor: known minor", "home address: address × 2, postcode × 1",
		"photos: 2", "phone number: phone number × 1"}, en)
	require.Equal(t, "minderjarige: leeftijd 15", consoleReason(tr("nl"), "minor: age 15"))
	require.Equal(t, "something new", consoleReason(tr("nl"), "something new"), "unknown: as stored")
}

// What a re-check saw, as package takedown stores it, in Dutch.
func TestConsoleCheckDetailInDutch(t *testing.T) {
	nl := tr("nl")
	for in, want := range map[string]string{
		"the content is still online":              "de inhoud staat nog online",
		"the name no longer resolves (NXDOMAIN)":   "de naam bestaat niet meer (NXDOMAIN)",
		"the page answers 404 Not Found":           "de pagina antwoordt met HTTP 404",
		"the page redirects to https://x.example/": "de pagina stuurt door naar https://x.example/",
		"the page answers 200, but the personal data of the original capture is no longer on it (after a redirect to https://x.example/)": "de pagina antwoordt 200, maar de persoonsgegevens van de eerste vastlegging staan er niet meer op (na doorsturen naar https://x.example/)",
		"timeout: i/o timeout": "timeout: i/o timeout",
	} {
		require.Equal(t, want, consoleCheckDetail(nl, in), in)
		require.Equal(t, in == "the page answers 404 Not Found", consoleCheckDetail(tr("en"), in) != in, "English stays as stored: %s", in)
	}
}
