package notice

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
)

func TestDefaultTemplates(t *testing.T) {
	ts, err := DefaultTemplates()
	require.NoError(t, err)
	list := ts.List()
	require.Len(t, list, len(Languages())*len(TemplateNames()))
	for _, tpl := range list {
		require.True(t, tpl.Default)
		require.Equal(t, "default-1", tpl.Version)
		src, err := DefaultSource(tpl.Language, tpl.Name)
		require.NoError(t, err)
		require.Equal(t, string(src), tpl.Source)
	}
	host, err := ts.Get("nl", undox.RolePlatform)
	require.NoError(t, err)
	require.Equal(t, "nl/host", host.ID())
	_, err = ts.Get("de", "host")
	require.Equal(t, undox.ENOTFOUND, undox.ErrorCode(err))
	_, err = DefaultSource("en", "site")
	require.Error(t, err)
}

// edit returns the default source of a template with one replacement,
// which must apply.
func edit(t *testing.T, lang, name, old, new string) []byte {
	t.Helper()
	src, err := DefaultSource(lang, name)
	require.NoError(t, err)
	require.Contains(t, string(src), old)
	return []byte(strings.Replace(string(src), old, new, 1))
}

func problems(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var te *TemplateError
	require.True(t, errors.As(err, &te), "%T: %v", err, err)
	require.NotEmpty(t, te.Problems)
	return strings.Join(te.Problems, "\n")
}

func TestOverrideAccepted(t *testing.T) {
	src := edit(t, "en", "host", "Version: default-1", "Version: 2026-07.admin-2")
	src = []byte(strings.Replace(string(src), "Dear abuse team", "Dear colleagues", 1))
	src = []byte(strings.Replace(string(src), "Version: 2026-07.admin-2\n", "# edited by an admin: warmer greeting\nVersion: 2026-07.admin-2\n", 1))
	tpl, err := ParseTemplate("en", undox.RoleHost, src)
	require.NoError(t, err)
	require.Equal(t, "en/host", tpl.ID())
	require.Equal(t, "2026-07.admin-2", tpl.Version)
	require.False(t, tpl.Default)

	defaults, err := DefaultTemplates()
	require.NoError(t, err)
	ts := defaults.With(tpl)
	n, err := Render(input(t, undox.RolePlatform, "en"), ts)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(n.Text, "Dear colleagues of Voorbeeld Hosting B.V.,"))
	require.Equal(t, "2026-07.admin-2", n.TemplateVersion)
	require.Equal(t, tpl.Digest, n.TemplateDigest)
	// The defaults are untouched, and the other templates are kept.
	n, err = Render(input(t, undox.RoleHost, "en"), defaults)
	require.NoError(t, err)
	require.Equal(t, "default-1", n.TemplateVersion)
	n, err = Render(input(t, undox.RoleCDN, "nl"), ts)
	require.NoError(t, err)
	require.Equal(t, "default-1", n.TemplateVersion)

	// CRLF line ends, as a browser form sends them.
	_, err = ParseTemplate("en", "host", []byte(strings.ReplaceAll(string(src), "\n", "\r\n")))
	require.NoError(t, err)
}

func TestOverrideRefused(t *testing.T) {
	for _, c := range []struct {
		name      string
		lang, tpl string
		old, new  string
		wants     []string
	}{
		{"no good-faith statement", "en", "host",
			"We confirm, in good faith, that the information and allegations in this notice are accurate and complete.", "We think this is right.",
			[]string{"missing the statement of good faith (art. 16(2)(d))", "in good faith", "accurate and complete"}},
		{"no good-faith statement (nl)", "nl", "registrar",
			"Wij verklaren te goeder trouw dat de informatie en beweringen in deze klacht juist en volledig zijn.", "",
			[]string{"statement of good faith", "te goeder trouw … juist en volledig"}},
		{"no response link", "en", "host", "  {{.ResponseURL}}\n", "",
			[]string{"missing the response link", "https://hotline-sample.example/r/sample-response-token"}},
		{"no URLs", "nl", "host", "{{range .URLs}}\n  {{.}}\n{{- end}}", "",
			[]string{"missing a URL at issue (art. 16(2)(b))"}},
		{"no legal basis", "en", "cdn", "Legal basis: {{.LegalBasis}}", "Legal basis: the law",
			[]string{"missing the legal basis (art. 16(2)(a))", "art. 285d Wetboek van Strafrecht (doxing)"}},
		{"no notifier e-mail", "en", "upstream", "{{.Notifier.Email}}\n", "",
			[]string{"missing the notifier's e-mail address (art. 16(2)(c))"}},
		{"no checkpoint", "nl", "registry", "{{.Checkpoint}}", "",
			[]string{"missing the audit checkpoint"}},
		{"no request under art. 16(5)", "en", "host", "Article 16(5) DSA requires you", "The law requires you",
			[]string{"missing the request for the decision owed under DSA art. 16(5)"}},
		{"art. 22 for every host", "en", "host", "{{- if .OnlinePlatform}} As your service", "{{- if true}} As your service",
			[]string{"art. 22 priority where the host is not an online platform: the text must not contain"}},
		{"automatic always", "en", "host", "{{if .Automatic -}}", "{{if true -}}",
			[]string{"a false statement that the notice was sent without a human decision"}},
		{"automatic never", "nl", "host", "Deze melding is verstuurd zonder menselijke beslissing:", "Deze melding:",
			[]string{"missing the statement that the notice was sent without a human decision", "zonder menselijke beslissing"}},
		{"no minor", "en", "registry", "{{- if .Minor}} A minor is concerned.{{end}}", "",
			[]string{"missing the statement that a minor is concerned"}},
		{"no forwarding", "en", "cdn", "Please also forward this notice to the origin host without delay, and disclose", "Please",
			[]string{"missing the request to forward the notice to the origin host", "missing the request to disclose the origin host"}},
		{"no RAA for a gTLD registrar", "en", "registrar", "{{- if .GTLD}} Under section 3.18 of the ICANN Registrar Accreditation Agreement (RAA), you are to take reasonable and prompt steps to investigate and respond appropriately to reports of abuse.{{end}}", "",
			[]string{"missing ICANN RAA 3.18 for a gTLD registrar"}},
		{"no suspension", "nl", "registrar", "op te schorten, of", "aan te pakken, of",
			[]string{"missing the request to suspend the domain"}},
		{"a link to the hotline's site", "en", "host", "Kind regards,", "Kind regards, see https://hotline.example/about",
			[]string{"not at issue", "https://hotline.example/about"}},
		{"a www address", "nl", "host", "Met vriendelijke groet,", "Zie www.meldpunt.example. Met vriendelijke groet,",
			[]string{"web address that is not at issue"}},
		{"the exposed data left out", "en", "host", " The content exposes the following kinds of personal data: {{.ExposedList}}.", "",
			[]string{"missing a kind of personal data exposed", "home address"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTemplate(c.lang, c.tpl, edit(t, c.lang, c.tpl, c.old, c.new))
			msg := problems(t, err)
			for _, w := range c.wants {
				require.Contains(t, msg, w)
			}
			require.Contains(t, err.Error(), "template "+c.lang+"/"+c.tpl+" (version default-1) is not usable")
		})
	}
}

func TestOverrideBroken(t *testing.T) {
	for _, c := range []struct {
		name  string
		src   string
		wants []string
	}{
		{"does not parse", "Version: 3\nSubject: x {{.Host}}\n\nDear,\n\n{{if .Minor}}\nno end\n",
			[]string{"the body does not parse", "en/host:8:", "unexpected EOF"}},
		{"an unknown field (no victim data to render)", "Version: 3\nSubject: x\n\nDear,\n{{.VictimName}}\n",
			[]string{"the body does not render", "en/host:5", "can't evaluate field VictimName"}},
		{"an unknown function", "Version: 3\nSubject: x\n\n{{shout .Host}}\n",
			[]string{"the body does not parse", `function "shout" not defined`}},
		{"a subject that does not parse", "Version: 3\nSubject: {{.Host\n\nbody\n",
			[]string{"the subject does not parse"}},
		{"a subject that renders empty", "Version: 3\nSubject: {{if .Minor}}x{{end}}\n\nbody\n",
			[]string{"the subject renders empty"}},
		{"no version", "Subject: x\n\nbody\n", []string{`the header has no "Version:" line`}},
		{"a bad version", "Version: one two\nSubject: x\n\nbody\n", []string{"line 1: the version must be"}},
		{"no subject", "Version: 3\n\nbody\n", []string{`the header has no "Subject:" line`}},
		{"an unknown header", "Version: 3\nSubject: x\nFrom: someone\n\nbody\n", []string{`line 3: unknown header "From"`}},
		{"no header", "Dear abuse team,\nplease act.\n", []string{"the header must be followed by a blank line"}},
		{"an empty file", "", []string{"the header must be followed by a blank line"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTemplate("en", "host", []byte(c.src))
			msg := problems(t, err)
			for _, w := range c.wants {
				require.Contains(t, msg, w)
			}
		})
	}
	_, err := ParseTemplate("de", "host", []byte("Version: 1\nSubject: x\n\nbody\n"))
	require.Contains(t, problems(t, err), "the language must be nl or en")
	_, err = ParseTemplate("en", "site", []byte("Version: 1\nSubject: x\n\nbody\n"))
	require.Contains(t, problems(t, err), "the template name must be one of")
}

// TestOverrideRenderedThroughout: an accepted override is used for every
// role that shares it, and a wholly rewritten but complete template is
// accepted.
func TestOverrideRewritten(t *testing.T) {
	src := `Version: 7
Subject: DSA notice — {{.Host}}

To {{if .Recipient}}{{.Recipient}}{{else}}whom it may concern{{end}}:
{{if .Reminder}}Reminder {{.Reminder}}, first sent {{.FirstSent}}.{{end}}
{{range .URLs}}{{.}}
{{end}}
{{.Category}}: {{.LegalBasis}}. {{.Explanation}}{{if .GDPR}} Also the GDPR.{{end}} Exposed: {{.ExposedList}}.{{if .Minor}} A minor is concerned.{{end}}
{{if .Deadline}}Remove by {{.Deadline}}.{{end}}
{{if .Automatic}}Sent without a human decision.{{end}}
Notifier: {{.Notifier.Name}} <{{.Notifier.Email}}>{{if .Designation}}, trusted flagger {{.Designation}}{{end}}.
{{if .OnlinePlatform}}Priority under art. 22 DSA applies.{{end}}
We state in good faith that this notice is accurate and complete.
This notice gives you actual knowledge for the purposes of art. 6 DSA.
Decision under art. 16(5) DSA: {{.ResponseURL}}

{{.Checkpoint}}
`
	tpl, err := ParseTemplate("en", "host", []byte(src))
	require.NoError(t, err)
	defaults, err := DefaultTemplates()
	require.NoError(t, err)
	n, err := Render(input(t, undox.RoleHost, "en"), defaults.With(tpl))
	require.NoError(t, err)
	require.Equal(t, "DSA notice — doxsite.example", n.Subject)
	require.Equal(t, "7", n.TemplateVersion)
	require.Contains(t, n.Text, "Notifier: Analist Voorbeeld <meldingen@meldpunt-voorbeeld.example>, trusted flagger ACM/UIT/000001.")
}
