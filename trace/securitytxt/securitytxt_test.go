package securitytxt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestFixturesAllParsed(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.Len(t, files, 4)
	for _, name := range files {
		f, err := Parse(fixture(t, filepath.Base(name)))
		require.NoError(t, err, name)
		require.NotEmpty(t, f.Contact, name)
		require.False(t, f.Expires.IsZero(), name)
	}
}

func TestGrapheneOS(t *testing.T) {
	f, err := Parse(fixture(t, "grapheneos.org.txt"))
	require.NoError(t, err)
	require.True(t, f.Signed)
	require.Equal(t, []string{"mailto:security@grapheneos.org"}, f.Contact)
	require.Equal(t, []string{"security@grapheneos.org"}, f.Emails())
	require.Equal(t, []string{"https://grapheneos.org/.well-known/security.txt"}, f.Canonical)
	require.Equal(t, []string{"data:application/x-age-public-key,age1dcftzgq00ykgwvxl5te6d5clqgx75h2g54c0u8gjc43mcnea7p7q3ma0yx"}, f.Encryption)
	require.Equal(t, time.Date(2027, 4, 30, 0, 0, 0, 0, time.UTC), f.Expires)
	require.Equal(t, []string{"en"}, f.PreferredLanguages)
	require.Empty(t, f.Errors)
	require.Empty(t, f.Warnings)
	require.True(t, f.Valid())
	require.False(t, f.Expired(time.Date(2027, 4, 29, 0, 0, 0, 0, time.UTC)))
	require.True(t, f.Expired(time.Date(2027, 4, 30, 0, 0, 1, 0, time.UTC)))
	require.True(t, f.FromCanonical("https://grapheneos.org/.well-known/security.txt"))
	require.False(t, f.FromCanonical("https://mirror.example/.well-known/security.txt"))
}

func TestAlmaLinux(t *testing.T) {
	f, err := Parse(fixture(t, "almalinux.org-2025-04.txt"))
	require.NoError(t, err)
	require.True(t, f.Signed)
	// The first Contact is a bare address (not RFC 9116-conformant): kept as mailto:, with an error.
	require.Equal(t, []string{"mailto:security@almalinux.org", "https://bugs.almalinux.org"}, f.Contact)
	require.Equal(t, []string{"security@almalinux.org"}, f.Emails())
	require.Len(t, f.Errors, 1)
	require.Contains(t, f.Errors[0], "line 9: Contact \"security@almalinux.org\" is not a URI")
	require.False(t, f.Valid())
	require.Equal(t, []string{"https://almalinux.org/p/vulnerability-disclosure-policy/"}, f.Policy)
	require.Equal(t, []string{"https://almalinux.org/files/security-pgp-key.txt"}, f.Encryption)
	require.Equal(t, []string{"en"}, f.PreferredLanguages)
	require.Equal(t, time.Date(2025, 5, 3, 12, 0, 0, 0, time.UTC), f.Expires)
	require.True(t, f.Expired(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.Empty(t, f.Canonical)
	require.Equal(t, []string{"signed, but no Canonical field tells where the signed file belongs"}, f.Warnings)
	require.True(t, f.FromCanonical("https://almalinux.org/.well-known/security.txt"))
}

func TestLetsEncrypt(t *testing.T) {
	f, err := Parse(fixture(t, "letsencrypt.org.txt"))
	require.NoError(t, err)
	require.False(t, f.Signed)
	require.Equal(t, []string{"mailto:security@letsencrypt.org"}, f.Contact)
	require.Equal(t, []string{"security@letsencrypt.org"}, f.Emails())
	require.Equal(t, []string{"https://letsencrypt.org/.well-known/security.txt"}, f.Canonical)
	require.Equal(t, []string{"https://abetterinternet.org/careers/"}, f.Hiring)
	require.Equal(t, []string{"en"}, f.PreferredLanguages)
	// "2028-03-08T16:59:59z": RFC 3339 allows the lower-case z.
	require.Equal(t, time.Date(2028, 3, 8, 16, 59, 59, 0, time.UTC), f.Expires)
	// An unknown field is kept, and is no error.
	require.Equal(t, []Field{{Name: "Bug-Bounty", Value: "False", Line: 1}}, f.Other)
	require.Empty(t, f.Errors)
	require.Empty(t, f.Warnings)
}

func TestRustLang(t *testing.T) {
	f, err := Parse(fixture(t, "rust-lang.org.txt"))
	require.NoError(t, err)
	require.Equal(t, []string{"https://www.rust-lang.org/policies/security"}, f.Contact)
	require.Empty(t, f.Emails()) // a web form only
	require.Equal(t, time.Date(2027, 3, 17, 0, 0, 0, 0, time.UTC), f.Expires)
	require.Empty(t, f.Errors)
	require.True(t, f.Valid())
}

func TestCRLF(t *testing.T) {
	lf := fixture(t, "letsencrypt.org.txt")
	crlf := []byte(strings.ReplaceAll(string(lf), "\n", "\r\n"))
	a, err := Parse(lf)
	require.NoError(t, err)
	b, err := Parse(crlf)
	require.NoError(t, err)
	require.Equal(t, a, b)

	signed := []byte(strings.ReplaceAll(string(fixture(t, "grapheneos.org.txt")), "\n", "\r\n"))
	g, err := Parse(signed)
	require.NoError(t, err)
	require.True(t, g.Signed)
	require.Equal(t, []string{"mailto:security@grapheneos.org"}, g.Contact)
	require.Empty(t, g.Errors)
}

func TestSigned(t *testing.T) {
	// A cleartext-signed file with a dash-escaped line and a BOM; the
	// signature is made up (it is not verified).
	data := "\ufeff-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" +
		"# Synthetic example\n" +
		"Contact: mailto:Security@Example.COM\n" +
		"Contact: tel:+1-201-555-0123\n" +
		"- Hiring: https://example.com/jobs\n" + // dash-escaped (RFC 4880 7.1)
		"Expires: 2030-01-01T00:00:00+02:00\n" +
		"Canonical: https://example.com/.well-known/security.txt\n" +
		"Acknowledgments: https://example.com/hall-of-fame\n" +
		"CSAF: https://example.com/.well-known/csaf/provider-metadata.json\n" +
		"Preferred-Languages: en, de-AT\n" +
		"-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAdFiEE\n=abcd\n-----END PGP SIGNATURE-----\n" +
		"Contact: mailto:injected@attacker.example\n"
	f, err := Parse([]byte(data))
	require.NoError(t, err)
	require.True(t, f.Signed)
	require.Equal(t, []string{"mailto:Security@Example.COM", "tel:+1-201-555-0123"}, f.Contact)
	require.Equal(t, []string{"Security@example.com"}, f.Emails())
	require.Equal(t, time.Date(2029, 12, 31, 22, 0, 0, 0, time.UTC), f.Expires)
	require.Equal(t, []string{"https://example.com/hall-of-fame"}, f.Acknowledgments)
	require.Equal(t, []string{"https://example.com/.well-known/csaf/provider-metadata.json"}, f.CSAF)
	require.Equal(t, []string{"en", "de-AT"}, f.PreferredLanguages)
	require.Equal(t, []string{"https://example.com/jobs"}, f.Hiring)
	require.Empty(t, f.Errors)
	// Text after the signature is not part of the signed file.
	require.Equal(t, []string{"line 18: text after the signature is outside the signed message and ignored"}, f.Warnings)

	// A signature block that never ends.
	f, err = Parse([]byte("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:a@example.com\nExpires: 2030-01-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"mailto:a@example.com"}, f.Contact)
	require.Contains(t, f.Errors, `signature without "-----END PGP SIGNATURE-----"`)

	// A signature pasted under an unsigned file: an error, and its lines are skipped.
	f, err = Parse([]byte("Contact: mailto:a@example.com\nExpires: 2030-01-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEB:CgAd\n=abcd\n-----END PGP SIGNATURE-----\n"))
	require.NoError(t, err)
	require.False(t, f.Signed)
	require.Equal(t, []string{`line 3: OpenPGP armor without "-----BEGIN PGP SIGNED MESSAGE-----"`}, f.Errors)
}

func TestMalformed(t *testing.T) {
	data := strings.Join([]string{
		"Contact: mailto:security@example.com, but not on weekends", // spaces: not a URI, dropped
		"Contact: http://example.com/report",                        // http: error, kept
		"Contact: www.example.com/report",                           // no scheme: error, dropped
		"Contact:",                                                  // empty
		"Security policy: https://example.com/policy",               // space in the name
		"this line is no field",                                     // no colon
		"Expires: tomorrow",                                         // not a date
		"Expires: 2030-01-01T00:00:00Z",                             // second Expires
		"Policy: https://example.com/policy",
		"Encryption: http://example.com/key.asc",
		"Preferred-Languages: en",
		"Preferred-Languages: fr",
		"Acknowledgements: https://example.com/thanks",
		"  Hiring: https://example.com/jobs",
		"Signature: https://example.com/security.txt.sig",
		"",
	}, "\n")
	f, err := Parse([]byte(data))
	require.NoError(t, err)
	require.Equal(t, []string{"http://example.com/report"}, f.Contact)
	require.Empty(t, f.Emails())
	require.True(t, f.Expires.IsZero()) // the first Expires counts, and it is unreadable
	require.False(t, f.Expired(time.Now()))
	require.Equal(t, []string{"https://example.com/policy"}, f.Policy)
	require.Equal(t, []string{"http://example.com/key.asc"}, f.Encryption)
	require.Equal(t, []string{"en"}, f.PreferredLanguages)
	require.Equal(t, []string{"https://example.com/thanks"}, f.Acknowledgments)
	require.Equal(t, []string{"https://example.com/jobs"}, f.Hiring)
	require.Equal(t, []string{
		`line 1: Contact "mailto:security@example.com, but not on weekends" is not a URI`,
		`line 2: Contact "http://example.com/report": web URIs must use https`,
		`line 3: Contact "www.example.com/report" is not a URI`,
		"line 4: Contact has no value",
		`line 5: not a field ("Name: value")`,
		`line 6: not a field ("Name: value")`,
		`line 7: Expires "tomorrow" is not a date (RFC 3339)`,
		"line 8: Expires appears more than once; the first is used",
		`line 10: Encryption "http://example.com/key.asc": web URIs must use https`,
		"line 12: Preferred-Languages appears more than once; the first is used",
	}, f.Errors)
	require.Equal(t, []string{
		"line 13: the field is spelled Acknowledgments",
		"line 14: leading whitespace",
		"line 15: Signature is a field of drafts before RFC 9116; sign the file instead",
	}, f.Warnings)
}

func TestMissingRequired(t *testing.T) {
	f, err := Parse([]byte("Policy: https://example.com/policy\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"no Contact field (required)", "no Expires field (required)"}, f.Errors)

	// The legacy RFC 1123 date of early drafts is read, with an error.
	f, err = Parse([]byte("Contact: mailto:a@example.com\nExpires: Thu, 31 Dec 2020 18:37:07 -0800\n"))
	require.NoError(t, err)
	require.Equal(t, time.Date(2021, 1, 1, 2, 37, 7, 0, time.UTC), f.Expires)
	require.Equal(t, []string{`line 2: Expires "Thu, 31 Dec 2020 18:37:07 -0800" is not in RFC 3339 format`}, f.Errors)
}

func TestParseRejects(t *testing.T) {
	_, err := Parse(make([]byte, MaxSize+1))
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = Parse([]byte("Contact: mailto:a@example.com\x00\n"))
	require.ErrorIs(t, err, ErrNotText)
	_, err = Parse([]byte("Contact: mailto:\xff@example.com\n"))
	require.ErrorIs(t, err, ErrNotText)
	// A soft 404: an HTML page where the file should be.
	_, err = Parse([]byte("<!DOCTYPE html>\n<html><head><title>Not found</title></head>\n<body><a href=\"https://example.com/\">home</a></body></html>\n"))
	require.ErrorIs(t, err, ErrNoFields)
	_, err = Parse(nil)
	require.ErrorIs(t, err, ErrNoFields)
	_, err = Parse([]byte("# only comments\nBug-Bounty: yes\n"))
	require.ErrorIs(t, err, ErrNoFields)

	// Exactly MaxSize is read.
	ok := "Contact: mailto:a@example.com\nExpires: 2030-01-01T00:00:00Z\n"
	ok += strings.Repeat("#", MaxSize-len(ok))
	f, err := Parse([]byte(ok))
	require.NoError(t, err)
	require.Equal(t, []string{"a@example.com"}, f.Emails())
}

func TestEmails(t *testing.T) {
	f := &File{Contact: []string{
		"mailto:security@example.com?subject=Report",
		"mailto:SECURITY@EXAMPLE.COM",
		"mailto:first%40example.org,second@example.net",
		"https://example.com/report",
		"tel:+1-201-555-0123",
		"mailto:not-an-address",
	}}
	require.Equal(t, []string{"security@example.com", "SECURITY@example.com", "first@example.org", "second@example.net"}, f.Emails())
}

func TestURLs(t *testing.T) {
	for in, want := range map[string][]string{
		"example.com":                     {"https://example.com/.well-known/security.txt", "https://example.com/security.txt"},
		"https://Example.COM/some/page?x": {"https://example.com/.well-known/security.txt", "https://example.com/security.txt"},
		"http://example.com:8080/":        {"https://example.com/.well-known/security.txt", "https://example.com/security.txt"},
		"https://example.com:8443":        {"https://example.com:8443/.well-known/security.txt", "https://example.com:8443/security.txt"},
		"https://example.com:443/":        {"https://example.com/.well-known/security.txt", "https://example.com/security.txt"},
		"https://user:pw@example.com./":   {"https://example.com/.well-known/security.txt", "https://example.com/security.txt"},
		"https://bücher.example/":         {"https://xn--bcher-kva.example/.well-known/security.txt", "https://xn--bcher-kva.example/security.txt"},
		"https://[2001:db8::1]/":          {"https://[2001:db8::1]/.well-known/security.txt", "https://[2001:db8::1]/security.txt"},
		"https://[2001:db8::1]:8443/":     {"https://[2001:db8::1]:8443/.well-known/security.txt", "https://[2001:db8::1]:8443/security.txt"},
		"":                                nil,
		"ftp://example.com/":              nil,
		"https:///path":                   nil,
	} {
		require.Equal(t, want, URLs(in), in)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"almalinux.org-2025-04.txt", "grapheneos.org.txt", "letsencrypt.org.txt", "rust-lang.org.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			require.Nil(t, file)
			return
		}
		_ = file.Emails()
		_ = file.Expired(time.Now())
	})
}
