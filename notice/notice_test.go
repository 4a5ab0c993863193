package notice

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/undox/undox"
)

// Synthetic data only: reserved names (.example, .invalid), made-up
// people and references.

var t0 = time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC)

// checkpoint returns a real signed note, shaped like the audit log's, and
// its verifier.
func checkpoint(t *testing.T) (string, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "meldpunt-voorbeeld.example/audit")
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	verifier, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	root := make([]byte, 32)
	rand.Read(root)
	msg, err := note.Sign(&note.Note{Text: "meldpunt-voorbeeld.example/audit\n1234\n" + base64.StdEncoding.EncodeToString(root) + "\n"}, signer)
	require.NoError(t, err)
	return string(msg), verifier
}

// input returns a complete input for a role and language.
func input(t *testing.T, role, lang string) Input {
	cp, _ := checkpoint(t)
	return Input{
		Role:      role,
		Recipient: Recipient{Organisation: "Voorbeeld Hosting B.V.", Email: "abuse@hosting-voorbeeld.example", Language: lang, Country: "NL"},
		URLs:      []string{"https://doxsite.example/t/12345-alles-over-iemand", "https://doxsite.example/t/12345-alles-over-iemand?page=2"},
		Category:  undox.CategoryDoxing,
		Exposed:   []string{"home address", "phone number", "school"},
		Notifier: Notifier{Name: "Analist Voorbeeld", Email: "meldingen@meldpunt-voorbeeld.example",
			Organisation: "Meldpunt Voorbeeld", Address: "Postbus 1, 1000 AA Voorbeeldstad"},
		TrustedFlagger: TrustedFlagger{Designation: "ACM/UIT/000001", Since: time.Date(2025, 2, 17, 0, 0, 0, 0, time.UTC)},
		ResponseURL:    "https://undox.meldpunt-voorbeeld.example/respond/Zx8kP2vQ",
		Checkpoint:     cp,
		Evidence: []EvidenceRef{{URL: "https://doxsite.example/t/12345-alles-over-iemand", CapturedAt: t0.Add(-2 * time.Hour),
			PageSHA256: strings.Repeat("1a", 32), ScreenshotSHA256: strings.Repeat("2b", 32)}},
		MessageID: "<notice.17@meldpunt-voorbeeld.example>",
		SentAt:    t0,
	}
}

var roles = []string{undox.RoleHost, undox.RolePlatform, undox.RoleCDN, undox.RoleUpstream, undox.RoleRegistrar, undox.RoleRegistry}

func TestEveryRoleAndLanguageRenders(t *testing.T) {
	for _, role := range roles {
		for _, lang := range Languages() {
			t.Run(role+"/"+lang, func(t *testing.T) {
				in := input(t, role, lang)
				n, err := Render(in, nil)
				require.NoError(t, err)
				require.Equal(t, lang, n.Language)
				require.Equal(t, role, n.Role)
				require.Equal(t, "default-1", n.TemplateVersion)
				require.Regexp(t, `^sha256:[0-9a-f]{64}$`, n.TemplateDigest)
				name, _ := TemplateName(role)
				require.Equal(t, lang+"/"+name, n.Template)
				require.NotEmpty(t, n.Text)
				require.Len(t, n.XARF, len(in.URLs))
				require.NotContains(t, n.Subject, "\n")
				require.Contains(t, n.Subject, "doxsite.example")
				for _, u := range in.URLs {
					require.Contains(t, n.Text, u)
				}
				require.Contains(t, n.Text, in.ResponseURL)
				require.NotContains(t, n.Text, "<no value>")
				require.NotContains(t, n.Text, "\n\n\n")
			})
		}
	}
}

func TestSubjects(t *testing.T) {
	for _, c := range []struct {
		role, lang string
		reminder   int
		want       string
	}{
		{undox.RoleHost, "en", 0, "Notice of illegal content under DSA art. 16 — doxsite.example"},
		{undox.RoleHost, "nl", 0, "Melding van illegale inhoud op grond van art. 16 DSA — doxsite.example"},
		{undox.RoleHost, "en", 2, "Reminder 2: Notice of illegal content under DSA art. 16 — doxsite.example"},
		{undox.RolePlatform, "nl", 1, "Herinnering 1: Melding van illegale inhoud op grond van art. 16 DSA — doxsite.example"},
		{undox.RoleUpstream, "en", 0, "Notice of illegal content on your network under DSA art. 16 — doxsite.example"},
		{undox.RoleRegistrar, "en", 0, "Abuse complaint: domain name used for illegal content — doxsite.example"},
		{undox.RoleRegistry, "nl", 0, "Abuseklacht: domeinnaam gebruikt voor illegale inhoud — doxsite.example"},
	} {
		in := input(t, c.role, c.lang)
		in.Reminder = c.reminder
		in.FirstSentAt = t0.AddDate(0, 0, -3)
		n, err := Render(in, nil)
		require.NoError(t, err)
		require.Equal(t, c.want, n.Subject)
	}
}

// TestRequiredElements reads each notice as a recipient (or a regulator)
// checks it: every element that DSA art. 16(2) and the procedure require.
func TestRequiredElements(t *testing.T) {
	phrases := map[string]map[string]string{
		"en": {
			"goodfaith": "We confirm, in good faith, that the information and allegations in this",
			"complete":  "are accurate and complete.",
			"knowledge": "this notice gives you actual knowledge of the illegal content for the purposes of article 6 DSA",
			"art16_5":   "Article 16(5) DSA requires you to notify us of your decision on this notice",
			"art22":     "article 22 DSA",
			"trusted":   "is a trusted flagger under the DSA, designation ACM/UIT/000001 (since 17 February 2025)",
			"automatic": "sent without a human decision",
			"minor":     "A minor is concerned.",
			"exposed":   "home address, phone number and school",
			"gdpr":      "General Data Protection Regulation (EU) 2016/679 (GDPR)",
			"deadline":  "by 15 July 2026, 10:30 UTC",
			"reminder":  "REMINDER 2: we notified you of the content below on 9 July 2026, 10:30 UTC",
			"forward":   "forward this notice to the origin host",
			"disclose":  "disclose to us who that host is",
			"customer":  "forward this notice to your customer",
			"raa":       "section 3.18 of the ICANN Registrar Accreditation Agreement (RAA)",
			"ntd":       "notice-and-takedown rules of the registry of .nl",
			"suspend":   "suspend the domain name",
			"explain":   "with the evident intent to frighten that person",
			"firstdate": "on 9 July 2026, 10:30 UTC",
		},
		"nl": {
			"goodfaith": "Wij verklaren te goeder trouw dat de informatie en beweringen in deze",
			"complete":  "juist en volledig zijn.",
			"knowledge": "daadwerkelijke kennis van de illegale inhoud in de zin van artikel 6 DSA",
			"art16_5":   "Artikel 16, lid 5, DSA verplicht u ons zonder onnodige vertraging in kennis te stellen van uw beslissing",
			"art22":     "artikel 22 DSA",
			"trusted":   "is een betrouwbare flagger op grond van de DSA, aanwijzing ACM/UIT/000001 (sinds 17 februari 2025)",
			"automatic": "verstuurd zonder menselijke beslissing",
			"minor":     "Het betreft een minderjarige.",
			"exposed":   "woonadres, telefoonnummer en school",
			"gdpr":      "Algemene verordening gegevensbescherming (Verordening (EU) 2016/679, AVG)",
			"deadline":  "uiterlijk 15 juli 2026, 10:30 UTC",
			"reminder":  "HERINNERING 2: wij hebben u op 9 juli 2026, 10:30 UTC gemeld",
			"forward":   "onverwijld door te sturen naar de hostingprovider achter uw dienst",
			"disclose":  "bekend te maken wie die hostingprovider is",
			"customer":  "deze melding door te sturen naar uw klant",
			"raa":       "artikel 3.18 van de ICANN Registrar Accreditation Agreement (RAA)",
			"ntd":       "notice-and-takedown-regels van de registry van .nl",
			"suspend":   "op te schorten",
			"explain":   "met het kennelijke oogmerk die persoon vrees aan te jagen",
			"firstdate": "op 9 juli 2026, 10:30 UTC",
		},
	}
	art22 := regexp.MustCompile(`(?i)\b(art\.|article|artikel)\s*22\b`)
	for _, lang := range Languages() {
		p := phrases[lang]
		for _, role := range roles {
			t.Run(role+"/"+lang, func(t *testing.T) {
				hostLike := role != undox.RoleRegistrar && role != undox.RoleRegistry
				in := input(t, role, lang)
				var verifier note.Verifier
				in.Checkpoint, verifier = checkpoint(t)

				// A plain first notice, decided by an analyst.
				n, err := Render(in, nil)
				require.NoError(t, err)
				text := n.Text
				// (a) why the content is illegal.
				require.Contains(t, text, "art. 285d Wetboek van Strafrecht (doxing)")
				require.Contains(t, text, p["explain"])
				require.Contains(t, text, p["exposed"])
				require.Contains(t, text, p["gdpr"])
				// (b) the exact URLs, each on a line of its own.
				for _, u := range in.URLs {
					require.Contains(t, text, "\n  "+u+"\n")
				}
				// (c) the notifier.
				require.Contains(t, text, "Analist Voorbeeld")
				require.Contains(t, text, "meldingen@meldpunt-voorbeeld.example")
				// (d) good faith.
				require.Contains(t, text, p["goodfaith"])
				require.Contains(t, text, p["complete"])
				// The trusted-flagger designation; art. 22 only for an
				// online platform.
				if hostLike {
					require.Contains(t, text, p["trusted"])
				} else {
					require.Contains(t, text, "ACM/UIT/000001")
				}
				require.NotRegexp(t, art22, text)
				// Art. 6 and the request under art. 16(5), with the link.
				if hostLike {
					require.Contains(t, text, p["knowledge"])
					i := strings.Index(text, p["art16_5"])
					require.GreaterOrEqual(t, i, 0)
					require.Contains(t, text[i:], "\n  "+in.ResponseURL+"\n")
				} else {
					require.Contains(t, text, "\n  "+in.ResponseURL+"\n")
				}
				// The checkpoint, verbatim, verifies.
				require.Contains(t, text, strings.TrimRight(in.Checkpoint, "\n"))
				_, err = note.Open([]byte(in.Checkpoint), note.VerifierList(verifier))
				require.NoError(t, err)
				// Evidence by hash.
				require.Contains(t, text, strings.Repeat("1a", 32))
				require.Contains(t, text, strings.Repeat("2b", 32))
				// No false statements.
				require.NotContains(t, text, p["automatic"])
				require.NotContains(t, text, p["minor"])
				require.NotContains(t, text, p["forward"])
				require.NotContains(t, strings.ToLower(text), "reminder")
				require.NotContains(t, strings.ToLower(text), "herinnering")
				switch role {
				case undox.RoleRegistrar:
					require.Contains(t, text, p["raa"], "a gTLD registrar gets RAA 3.18")
					require.Contains(t, text, p["suspend"])
				case undox.RoleRegistry:
					require.Contains(t, text, p["suspend"])
					require.Contains(t, text, "notice-and-takedown")
				case undox.RoleUpstream:
					require.Contains(t, text, p["customer"])
				}

				// Everything at once: automatic, a minor, a reminder with a
				// deadline, an online platform, forwarding, a ccTLD.
				in.Automatic, in.Minor, in.OnlinePlatform, in.Forward = true, true, true, true
				in.Reminder, in.FirstSentAt, in.Deadline = 2, t0.AddDate(0, 0, -5), t0.Add(24*time.Hour)
				n, err = Render(in, nil)
				require.NoError(t, err)
				text = n.Text
				require.Contains(t, text, p["automatic"])
				require.Contains(t, text, p["minor"])
				require.Contains(t, text, p["deadline"])
				require.Contains(t, text, p["firstdate"])
				if hostLike {
					require.Contains(t, text, p["reminder"])
					require.Contains(t, text, p["art22"])
					require.Regexp(t, art22, text)
				} else {
					require.NotRegexp(t, art22, text, "a registrar or registry owes no art. 22 priority")
				}
				if role == undox.RoleCDN {
					require.Contains(t, text, p["forward"])
					require.Contains(t, text, p["disclose"])
				} else {
					require.NotContains(t, text, p["disclose"])
				}
				// The minor is said, and nothing more about them.
				require.Equal(t, 1, strings.Count(strings.ToLower(text), map[string]string{"en": "minor", "nl": "minderjarig"}[lang]))

				// A ccTLD domain: the registry's rules, not the RAA.
				in.URLs = []string{"https://doxsite.example.nl/profiel/99"}
				in.Evidence = nil
				n, err = Render(in, nil)
				require.NoError(t, err)
				if role == undox.RoleRegistrar {
					require.Contains(t, n.Text, p["ntd"])
					require.NotContains(t, n.Text, "3.18")
				}
			})
		}
	}
}

// TestNoticeNamesNothingElse: the doxer reads notices. Fields that are not
// meant for the text carry sentinels that must never come out, and the
// only URLs are the ones at issue and the response link.
func TestNoticeNamesNothingElse(t *testing.T) {
	const sentinel = "SENTINEL"
	otherURL := "https://victim-profile.example/SENTINEL-other-url"
	for _, role := range roles {
		for _, lang := range Languages() {
			t.Run(role+"/"+lang, func(t *testing.T) {
				in := input(t, role, lang)
				in.Recipient.Email = "SENTINEL-recipient@hosting-voorbeeld.example"
				in.MessageID = "<SENTINEL.UDX-ABCD-EFGH-JKMN@meldpunt-voorbeeld.example>"
				in.OriginalMessageID = "<SENTINEL.orig@meldpunt-voorbeeld.example>"
				in.Evidence = append(in.Evidence, EvidenceRef{URL: otherURL, CapturedAt: t0,
					PageSHA256: strings.Repeat("5e", 32), ScreenshotSHA256: strings.Repeat("5f", 32)})
				in.Automatic, in.Minor, in.OnlinePlatform, in.Forward = true, true, true, true
				in.Reminder, in.FirstSentAt, in.Deadline = 1, t0.AddDate(0, 0, -2), t0.Add(48*time.Hour)

				n, err := Render(in, nil)
				require.NoError(t, err)
				all := n.Subject + "\n" + n.Text
				for _, x := range n.XARF {
					all += "\n" + string(x)
					// The evidence payloads too, decoded.
					var r struct {
						Evidence []struct{ Payload string } `json:"evidence"`
					}
					require.NoError(t, json.Unmarshal(x, &r))
					for _, e := range r.Evidence {
						b, err := base64.StdEncoding.DecodeString(e.Payload)
						require.NoError(t, err)
						all += "\n" + string(b)
					}
				}
				require.NotContains(t, all, sentinel)
				require.NotContains(t, all, "UDX-")
				require.NotContains(t, all, strings.Repeat("5e", 32))
				require.NotContains(t, all, strings.Repeat("5f", 32))

				allowed := map[string]bool{in.ResponseURL: true}
				for _, u := range in.URLs {
					allowed[u] = true
				}
				for _, m := range regexp.MustCompile(`https?://[^\s"]+`).FindAllString(n.Subject+"\n"+n.Text, -1) {
					m = strings.TrimRight(m, ".,;:)")
					require.True(t, allowed[m], "the notice names a URL not at issue: %s", m)
				}

				// The e-mail's parts (its Message-ID header is the given one).
				msg, err := Message(n, "Meldpunt Voorbeeld <meldingen@meldpunt-voorbeeld.example>", in.Recipient.Email, "<notice.9@meldpunt-voorbeeld.example>", t0)
				require.NoError(t, err)
				body := string(msg[strings.Index(string(msg), "\r\n\r\n"):])
				require.NotContains(t, body, sentinel)
			})
		}
	}
}

// TestInputHasNoVictimFields documents the design: an Input cannot carry
// the victim's identity or a case reference, so no template can show it.
func TestInputHasNoVictimFields(t *testing.T) {
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			name := strings.ToLower(f.Name)
			for _, bad := range []string{"victim", "case", "ref", "person", "reporter", "description"} {
				if strings.Contains(name, bad) && name != "evidence" {
					t.Errorf("%s.%s: a notice's input must not carry %s data", path, f.Name, bad)
				}
			}
			ft := f.Type
			for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() == reflect.TypeOf(Input{}).PkgPath() {
				walk(ft, path+"."+f.Name)
			}
		}
	}
	walk(reflect.TypeOf(Input{}), "Input")
	walk(reflect.TypeOf(View{}), "View")
}

func TestRenderRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"csam is referral-only", func(in *Input) { in.Category = undox.CategoryCSAM }, "category"},
		{"terrorist content is referral-only", func(in *Input) { in.Category = undox.CategoryTerrorism }, "category"},
		{"a minor's intimate images are CSAM in law", func(in *Input) { in.Category, in.Minor = undox.CategoryIntimateImages, true }, "category"},
		{"a minor's sextortion is CSAM in law", func(in *Input) { in.Category, in.Minor = undox.CategorySextortion, true }, "category"},
		{"not yet assessed", func(in *Input) { in.Category = undox.CategoryUnassessed }, "category"},
		{"unknown category", func(in *Input) { in.Category = "spam" }, "category"},
		{"a phone number given as exposed data", func(in *Input) { in.Exposed = []string{"06 1234 5678"} }, "exposed[0]"},
		{"an e-mail address given as exposed data", func(in *Input) { in.Exposed = []string{"phone", "iemand@mail.example"} }, "exposed[1]"},
		{"a profile URL given as exposed data", func(in *Input) { in.Exposed = []string{"https://social.example/iemand"} }, "exposed[0]"},
		{"no URLs", func(in *Input) { in.URLs = nil }, "urls"},
		{"not an http URL", func(in *Input) { in.URLs = []string{"ftp://doxsite.example/x"} }, "urls"},
		{"a URL with credentials", func(in *Input) { in.URLs = []string{"https://u:p@doxsite.example/x"} }, "urls"},
		{"no notifier name", func(in *Input) { in.Notifier.Name = "" }, "notifier.name"},
		{"no notifier e-mail", func(in *Input) { in.Notifier.Email = "" }, "notifier.email"},
		{"a bad notifier e-mail", func(in *Input) { in.Notifier.Email = "Meldpunt <a@b.example>" }, "notifier.email"},
		{"no notifier organisation", func(in *Input) { in.Notifier.Organisation = "" }, "notifier.organisation"},
		{"no response link", func(in *Input) { in.ResponseURL = "" }, "response_url"},
		{"no checkpoint", func(in *Input) { in.Checkpoint = "" }, "checkpoint"},
		{"a checkpoint that is no signed note", func(in *Input) { in.Checkpoint = "tree 12, root abc" }, "checkpoint"},
		{"no date", func(in *Input) { in.SentAt = time.Time{} }, "sent_at"},
		{"a reminder without the first date", func(in *Input) { in.Reminder = 1 }, "first_sent_at"},
		{"a bad hash", func(in *Input) { in.Evidence[0].PageSHA256 = "not-a-hash" }, "evidence[0]"},
		{"the site's own contact", func(in *Input) { in.Role = undox.RoleSite }, "role"},
		{"an unknown role", func(in *Input) { in.Role = "police" }, "role"},
		{"a language we do not write", func(in *Input) { in.Recipient.Language = "de" }, "recipient.language"},
		{"a bad Message-ID", func(in *Input) { in.MessageID = "no id\r\nBcc: x@y.example" }, "message_id"},
		{"a registrar notice for an IP address", func(in *Input) { in.Role, in.URLs = undox.RoleRegistrar, []string{"http://192.0.2.7/dox.html"} }, "urls"},
		{"a line break in the organisation", func(in *Input) { in.Notifier.Organisation = "Meldpunt\nVoorbeeld" }, "notifier.organisation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := input(t, undox.RoleHost, "en")
			c.edit(&in)
			_, err := Render(in, nil)
			require.Error(t, err)
			require.Equal(t, undox.EINVALID, undox.ErrorCode(err), err.Error())
			require.Contains(t, undox.ErrorFields(err), c.field, err.Error())
		})
	}
}

func TestLanguageChoice(t *testing.T) {
	in := input(t, undox.RoleHost, "")
	in.Recipient.Country = "BE"
	n, err := Render(in, nil)
	require.NoError(t, err)
	require.Equal(t, "nl", n.Language)
	in.Recipient.Country = "DE"
	n, err = Render(in, nil)
	require.NoError(t, err)
	require.Equal(t, "en", n.Language)
	in.Recipient.Language = "NL"
	n, err = Render(in, nil)
	require.NoError(t, err)
	require.Equal(t, "nl", n.Language)
}

// TestOtherCategories: each category that can be notified renders with
// its own legal basis and explanation, in both languages.
func TestOtherCategories(t *testing.T) {
	for _, code := range []string{undox.CategoryThreat, undox.CategoryExtortion, undox.CategorySextortion, undox.CategoryIntimateImages, undox.CategoryHarassment} {
		for _, lang := range Languages() {
			in := input(t, undox.RoleHost, lang)
			in.Category = code
			in.Exposed = nil
			n, err := Render(in, nil)
			require.NoError(t, err, code)
			cat, _ := undox.LookupCategory(code)
			require.Contains(t, n.Text, cat.LegalBasis)
			require.Contains(t, n.Text, explanation(code, lang))
			require.Contains(t, n.Text, categoryName(cat, lang))
			if code == undox.CategoryIntimateImages {
				require.Contains(t, n.Text, map[string]string{"en": "GDPR", "nl": "AVG"}[lang])
			} else {
				require.NotContains(t, n.Text, map[string]string{"en": "GDPR", "nl": "AVG"}[lang])
			}
		}
	}
}

func TestOnlyURLs(t *testing.T) {
	allowed := []string{"https://a.example/p", "https://r.example/x"}
	require.NoError(t, onlyURLs("see https://a.example/p. and https://r.example/x\n(https://a.example/p)", allowed))
	require.Error(t, onlyURLs("see https://a.example/private", allowed))
	require.Error(t, onlyURLs("see https://a.example/p.evil", allowed))
	require.Error(t, onlyURLs("see http://other.example/", allowed))
	require.Error(t, onlyURLs("visit www.hotline.example", allowed))
	require.Error(t, onlyURLs("ftp://a.example/p", allowed))
	// The host of a URL at issue, as a subject names it, is no other address.
	www := []string{"https://www.dox.example/p"}
	require.NoError(t, onlyURLs("Notice about www.dox.example: https://www.dox.example/p", www))
	require.Error(t, onlyURLs("Notice about www.dox.example.evil.example", www), "a longer name is another address")
}

// A page on a www. host renders: its subject names the host.
func TestRenderWWWHost(t *testing.T) {
	in := input(t, undox.RoleHost, "en")
	in.URLs = []string{"https://www.doxsite.example/t/1"}
	in.Evidence = nil
	n, err := Render(in, nil)
	require.NoError(t, err)
	require.Contains(t, n.Subject, "www.doxsite.example")
}

func TestRenderLeavesInputAlone(t *testing.T) {
	in := input(t, undox.RoleHost, "en")
	in.Exposed = []string{"  home address ", "phone"}
	in.URLs = []string{" https://doxsite.example/a ", "https://doxsite.example/a"}
	n, err := Render(in, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"https://doxsite.example/a"}, n.URLs)
	require.Len(t, n.XARF, 1)
	require.Equal(t, []string{"  home address ", "phone"}, in.Exposed)
	require.Equal(t, []string{" https://doxsite.example/a ", "https://doxsite.example/a"}, in.URLs)
}

// TestNotifierNamedOnce: a hotline whose notifier is the organisation
// itself is named once where the notice names the notifier, and once in
// the sign-off; a notifier of its own is named with its organisation.
func TestNotifierNamedOnce(t *testing.T) {
	for _, role := range roles {
		for _, lang := range Languages() {
			in := input(t, role, lang)
			in.Notifier.Name, in.Notifier.Organisation, in.Notifier.Address = "Meldpunt Test", "Meldpunt Test", ""
			n, err := Render(in, nil)
			require.NoError(t, err)
			require.NotContains(t, n.Text, "Meldpunt Test, Meldpunt Test", "%s/%s", role, lang)
			require.NotContains(t, n.Text, "Meldpunt Test\nMeldpunt Test", "%s/%s", role, lang)
			require.Contains(t, n.Text, "\n\nMeldpunt Test\nmeldingen@meldpunt-voorbeeld.example\n", "%s/%s: the notifier's name and e-mail (DSA art. 16(2)(c))", role, lang)
			require.True(t, strings.HasSuffix(n.Text, ",\n\nMeldpunt Test\n"), "%s/%s: the sign-off\n%s", role, lang, n.Text)

			n, err = Render(input(t, role, lang), nil)
			require.NoError(t, err)
			require.Contains(t, n.Text, "\n\nAnalist Voorbeeld, Meldpunt Voorbeeld\nmeldingen@meldpunt-voorbeeld.example\nPostbus 1, 1000 AA Voorbeeldstad\n", "%s/%s", role, lang)
			require.True(t, strings.HasSuffix(n.Text, ",\n\nAnalist Voorbeeld\nMeldpunt Voorbeeld\n"), "%s/%s: the sign-off\n%s", role, lang, n.Text)
		}
	}
}

// TestRepliesInvitedOnlyWhenRead: a notice invites replies by e-mail only
// when undox reads them; otherwise it offers the response link alone.
func TestRepliesInvitedOnlyWhenRead(t *testing.T) {
	invitation := map[string]string{"en": "You can also reply to this e-mail.", "nl": "U kunt ook op deze e-mail antwoorden."}
	for _, role := range roles {
		for _, lang := range Languages() {
			in := input(t, role, lang)
			n, err := Render(in, nil)
			require.NoError(t, err)
			require.NotContains(t, n.Text, invitation[lang], "%s/%s", role, lang)
			require.NotContains(t, strings.ToLower(n.Text), "e-mail antwoorden")
			require.NotContains(t, strings.ToLower(n.Text), "reply to this")
			require.Contains(t, n.Text, in.ResponseURL)

			in.Replies = true
			n, err = Render(in, nil)
			require.NoError(t, err)
			require.Contains(t, n.Text, invitation[lang], "%s/%s", role, lang)
		}
	}
}
