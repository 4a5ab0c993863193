package personal

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// All data here is synthetic: BSNs made to pass the 11-proof, IBANs with
// check digits computed for made-up accounts (and the standard examples
// NL91ABNA0417164300, DE89370400440532013000, GB82WEST12345698765432),
// the card networks' published test numbers, phone numbers from example
// and fictional ranges, documentation IP ranges (RFC 5737, RFC 3849) and
// RvIG's specimen document number SPECI2014.

// makeBSN completes eight digits with the check digit of the 11-proof.
func makeBSN(t testing.TB, first8 string) string {
	t.Helper()
	sum := 0
	for k := 0; k < 8; k++ {
		sum += (9 - k) * int(first8[k]-'0')
	}
	d := sum % 11
	if d == 10 {
		t.Fatalf("no check digit for %s", first8)
	}
	v := first8 + strconv.Itoa(d)
	require.True(t, ValidBSN(v), v)
	return v
}

// makeIBAN computes the check digits of an IBAN.
func makeIBAN(t testing.TB, cc, bban string) string {
	t.Helper()
	m := ibanMod97(cc + "00" + bban)
	v := fmt.Sprintf("%s%02d%s", cc, 98-m, bban)
	require.True(t, ValidIBAN(v), v)
	return v
}

// group writes v in groups of four separated by spaces.
func group(v string) string {
	var b strings.Builder
	for k := 0; k < len(v); k += 4 {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v[k:min(len(v), k+4)])
	}
	return b.String()
}

// want is an expected finding: its span as written in the text (which must
// occur once), its value and validity.
type want struct {
	typ, span, value string
	valid            bool
}

// checkFindings runs Detect on text and requires exactly the wanted
// findings, in order, with correct offsets.
func checkFindings(t *testing.T, text string, wants ...want) {
	t.Helper()
	got := Detect(text)
	checkInvariants(t, text, got)
	var gotS, wantS []string
	for _, f := range got {
		gotS = append(gotS, fmt.Sprintf("%s %q=%q valid=%v", f.Type, text[f.Start:f.End], f.Value, f.Valid))
	}
	for _, w := range wants {
		wantS = append(wantS, fmt.Sprintf("%s %q=%q valid=%v", w.typ, w.span, w.value, w.valid))
	}
	require.Equal(t, wantS, gotS, "text %q", text)
	for k, w := range wants {
		require.Equal(t, strings.Index(text, w.span), got[k].Start, "start of %q in %q", w.span, text)
		require.Equal(t, strings.Index(text, w.span)+len(w.span), got[k].End)
	}
}

// checkInvariants: offsets in bounds, sorted, not overlapping, known types,
// valid findings re-validate.
func checkInvariants(t testing.TB, text string, fs []Finding) {
	t.Helper()
	prevEnd := 0
	for _, f := range fs {
		require.True(t, 0 <= f.Start && f.Start < f.End && f.End <= len(text), "offsets %d-%d of %d bytes", f.Start, f.End, len(text))
		require.GreaterOrEqual(t, f.Start, prevEnd, "overlap or order: %+v in %q", f, text)
		prevEnd = f.End
		require.Contains(t, Types, f.Type)
		require.NotEmpty(t, f.Value)
		if f.Valid {
			require.True(t, Validate(f.Type, f.Value), "%+v does not re-validate (text %q)", f, text)
		}
	}
}

func TestBSN(t *testing.T) {
	b1 := makeBSN(t, "12345678") // 123456782
	b2 := makeBSN(t, "99999999") // synthetic too
	require.Equal(t, "123456782", b1)
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"BSN " + b1 + ".", []want{{"bsn", b1, b1, true}}},
		{"nummer 123.456.782, ok", []want{{"bsn", "123.456.782", b1, true}}},
		{"nummer 123 456 782 ok", []want{{"bsn", "123 456 782", b1, true}}},
		{"nummer 123-456-782 ok", []want{{"bsn", "123-456-782", b1, true}}},
		{"nummer 1234.56.782 ok", []want{{"bsn", "1234.56.782", b1, true}}},
		{"(" + b2 + ")", []want{{"bsn", b2, b2, true}}},
		// Also a possible 0900 number: a BSN.
		{"nummer 090681344.", []want{{"bsn", "090681344", "090681344", true}}},
		// Fails the 11-proof: a number, unless called a BSN.
		{"order 123456789 is verzonden", nil},
		{"BSN: 123456789", []want{{"bsn", "123456789", "123456789", false}}},
		{"burgerservicenummer 123.456.789", []want{{"bsn", "123.456.789", "123456789", false}}},
		// Not nine digits, or glued to more.
		{"1234567820 of 12345678 of 1.123.456.782 of 123.456.7820 of x123456782 of 123456782x", nil},
		{"mixed 123.456-782 separators", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestIBAN(t *testing.T) {
	nl := "NL91ABNA0417164300"
	be := makeIBAN(t, "BE", "539007547034")
	fr := makeIBAN(t, "FR", "20041010050500013M02606")
	no := makeIBAN(t, "NO", "86011117947")
	mt := makeIBAN(t, "MT", "MALT011000012345MTLCAST001S")
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"IBAN " + nl + ".", []want{{"iban", nl, nl, true}}},
		{"IBAN: " + group(nl) + ", t.n.v. J. Jansen", []want{{"iban", group(nl), nl, true}}},
		{"DE89370400440532013000", []want{{"iban", "DE89370400440532013000", "DE89370400440532013000", true}}},
		{"GB82 WEST 1234 5698 7654 32", []want{{"iban", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", true}}},
		{be + " " + fr, []want{{"iban", be, be, true}, {"iban", fr, fr, true}}},
		{group(no) + "\n" + group(mt), []want{{"iban", group(no), no, true}, {"iban", group(mt), mt, true}}},
		{"lower " + strings.ToLower(nl), []want{{"iban", strings.ToLower(nl), nl, true}}},
		// A wrong check digit: reported, not valid (in capitals only).
		{"NL91ABNA0417164301", []want{{"iban", "NL91ABNA0417164301", "NL91ABNA0417164301", false}}},
		{"nl91abna0417164301", nil},
		// Wrong length, unknown country, glued.
		{"NL91ABNA041716430 NL91ABNA04171643000 XX91ABNA0417164300 aNL91ABNA0417164300", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestPhoneEquivalences(t *testing.T) {
	for _, form := range []string{
		"06 12 34 56 78", "0612345678", "+31612345678", "+31 (0)6-12345678", "06-12345678",
		"06.12.34.56.78", "0031 6 12345678", "+31 6 1234 5678", "(06) 12345678", "06\u00a012\u00a034\u00a056\u00a078",
	} {
		checkFindings(t, "Bel "+form+" nu.", want{"phone", form, "+31612345678", true})
		v, ok := NormalizePhone(form, "")
		require.True(t, ok, form)
		require.Equal(t, "+31612345678", v, form)
	}
}

func TestPhone(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"tel. 020 123 4567", []want{{"phone", "020 123 4567", "+31201234567", true}}},
		{"tel. (020) 123 45 67", []want{{"phone", "(020) 123 45 67", "+31201234567", true}}},
		{"Tel:010-1234567\n", []want{{"phone", "010-1234567", "+31101234567", true}}},
		{"UK +44 20 7946 0958", []want{{"phone", "+44 20 7946 0958", "+442079460958", true}}},
		{"BE +32 470 12 34 56", []want{{"phone", "+32 470 12 34 56", "+32470123456", true}}},
		{"DE 0049 30 12345678", []want{{"phone", "0049 30 12345678", "+493012345678", true}}},
		// A phone number followed by another number.
		{"bel 06 12345678 2x", []want{{"phone", "06 12345678", "+31612345678", true}}},
		// Not phone numbers.
		{"0612 of 06 1234 of 12345678901 of 01-02-2003 of 0612345678901234567", nil},
		{"x0612345678 0612345678y", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestPhoneRegion(t *testing.T) {
	d := NewDetector(Options{Region: "be"})
	fs := d.Detect("gsm 0470 12 34 56")
	require.Len(t, fs, 1)
	require.Equal(t, "+32470123456", fs[0].Value)
	require.True(t, fs[0].Valid)
}

// TestFastPhone compares the fast path of phone parsing with
// libphonenumber's parser on many numbers.
func TestFastPhone(t *testing.T) {
	r := uint64(1)
	next := func(n int) string {
		var b strings.Builder
		for k := 0; k < n; k++ {
			r = r*6364136223846793005 + 1442695040888963407
			b.WriteByte(byte('0' + (r>>33)%10))
		}
		return b.String()
	}
	fast, valids := 0, 0
	for k := 0; k < 3000; k++ {
		var num, region string
		switch k % 6 {
		case 0:
			num, region = "06"+next(8), "NL"
		case 1:
			num, region = "0"+next(9), "NL"
		case 2:
			num, region = "+31"+next(9), "NL"
		case 3:
			num, region = "+"+next(1+k%3)+next(6+k%7), "NL"
		case 4:
			num, region = "00"+next(2)+next(9), "NL"
		case 5:
			num, region = "0"+next(8+k%4), []string{"BE", "DE", "GB", "FR", "US", "IT", "AR"}[k%7]
		}
		v, handled, valid, _ := fastPhone([]byte(num), region)
		if !handled {
			continue
		}
		fast++
		sv, svalid, _ := slowPhone(num, region)
		require.Equal(t, svalid, valid, "%s in %s: valid", num, region)
		if valid {
			valids++
			require.Equal(t, sv, v, "%s in %s", num, region)
		}
	}
	require.Greater(t, fast, 1500)
	require.Greater(t, valids, 300)
}

func TestEmail(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"mail jan@voorbeeld.nl.", []want{{"email", "jan@voorbeeld.nl", "jan@voorbeeld.nl", true}}},
		{"<Jan.Jansen+dox@Mail.Voorbeeld.NL>", []want{{"email", "Jan.Jansen+dox@Mail.Voorbeeld.NL", "jan.jansen+dox@mail.voorbeeld.nl", true}}},
		{"jan.1990_x@voorbeeld-2.nl", []want{{"email", "jan.1990_x@voorbeeld-2.nl", "jan.1990_x@voorbeeld-2.nl", true}}},
		{"0612345678@voorbeeld.nl", []want{{"email", "0612345678@voorbeeld.nl", "0612345678@voorbeeld.nl", true}}},
		// Obfuscated.
		{"jan [at] voorbeeld [dot] nl", []want{{"email", "jan [at] voorbeeld [dot] nl", "jan@voorbeeld.nl", true}}},
		{"jan(at)voorbeeld(punt)nl", []want{{"email", "jan(at)voorbeeld(punt)nl", "jan@voorbeeld.nl", true}}},
		{"jan{at}voorbeeld.nl", []want{{"email", "jan{at}voorbeeld.nl", "jan@voorbeeld.nl", true}}},
		{"JAN [AT] VOORBEELD [DOT] NL", []want{{"email", "JAN [AT] VOORBEELD [DOT] NL", "jan@voorbeeld.nl", true}}},
		{"mail jan at voorbeeld dot nl!", []want{{"email", "jan at voorbeeld dot nl", "jan@voorbeeld.nl", true}}},
		{"mail jan at voorbeeld punt nl", []want{{"email", "jan at voorbeeld punt nl", "jan@voorbeeld.nl", true}}},
		{"mail jan at voorbeeld.nl", []want{{"email", "jan at voorbeeld.nl", "jan@voorbeeld.nl", true}}},
		{"jan @ voorbeeld.nl", []want{{"email", "jan @ voorbeeld.nl", "jan@voorbeeld.nl", true}}},
		{"jan[@]voorbeeld[.]nl", []want{{"email", "jan[@]voorbeeld[.]nl", "jan@voorbeeld.nl", true}}},
		{"jan@voorbeeld dot nl", []want{{"email", "jan@voorbeeld dot nl", "jan@voorbeeld.nl", true}}},
		// Not e-mail addresses.
		{"jan@localhost, jan@voorbeeld, jan@.nl, jan.@x.nl", nil},
		{"we meet at the station dot com", nil},
		{"look at google dot something", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestPostcode(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"1234 AB Amsterdam", []want{{"postcode", "1234 AB", "1234AB", true}}},
		{"postcode 1234AB.", []want{{"postcode", "1234AB", "1234AB", true}}},
		{"postcode 1234ab.", []want{{"postcode", "1234ab", "1234AB", true}}},
		{"1234 AB 12a", []want{{"postcode", "1234 AB 12a", "1234AB 12a", true}}},
		{"1234AB, nr. 12", []want{{"postcode", "1234AB, nr. 12", "1234AB 12", true}}},
		{"1234 AB huisnummer 7-2", []want{{"postcode", "1234 AB huisnummer 7-2", "1234AB 7-2", true}}},
		{"1234\u00a0AB Utrecht", []want{{"postcode", "1234\u00a0AB", "1234AB", true}}},
		{"2020 IS Den Haag", []want{{"postcode", "2020 IS", "2020IS", true}}},
		// Not postcodes.
		{"0123 AB, 1234 SS, 1234 ABC, 12345 AB, 1234 ab, in 2020 IS het", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestAddress(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"Ze woont op de Voorbeeldstraat 12.", []want{{"address", "Voorbeeldstraat 12", "Voorbeeldstraat 12", true}}},
		{"Laan van Meerdervoort 5-B", []want{{"address", "Laan van Meerdervoort 5-B", "Laan van Meerdervoort 5b", true}}},
		{"Oude Gracht 101bis", []want{{"address", "Oude Gracht 101bis", "Oude Gracht 101bis", true}}},
		{"op Burgemeester de Withstraat 7, Utrecht", []want{{"address", "Burgemeester de Withstraat 7", "Burgemeester de Withstraat 7", true}}},
		{"aan de Jan van Goyenkade 3a", []want{{"address", "Jan van Goyenkade 3a", "Jan van Goyenkade 3a", true}}},
		{"Kerkweg 1-3 hoog", []want{{"address", "Kerkweg 1-3", "Kerkweg 1-3", true}}},
		{"Hauptstraße 5", []want{{"address", "Hauptstraße 5", "Hauptstraße 5", true}}},
		{"Berliner Str. 12", []want{{"address", "Berliner Str. 12", "Berliner Str. 12", true}}},
		{"at 10 Downing Street.", []want{{"address", "10 Downing Street", "10 Downing Street", true}}},
		{"221B Baker Street", []want{{"address", "221B Baker Street", "221B Baker Street", true}}},
		{"12 Main St. in town", []want{{"address", "12 Main St.", "12 Main St.", true}}},
		{"12 rue de la Paix, Paris", []want{{"address", "12 rue de la Paix", "12 rue de la Paix", true}}},
		{"5 avenue des Champs", []want{{"address", "5 avenue des Champs", "5 avenue des Champs", true}}},
		{"in 1951 place Zoë, 12 avenue Paris", nil},
		// With a postcode: the postcode gets the house number.
		{"Voorbeeldstraat 12, 1234 AB Amsterdam", []want{
			{"address", "Voorbeeldstraat 12", "Voorbeeldstraat 12", true},
			{"postcode", "1234 AB", "1234AB 12", true},
		}},
		{"Voorbeeldstraat 12\n1234 AB  Amsterdam", []want{
			{"address", "Voorbeeldstraat 12", "Voorbeeldstraat 12", true},
			{"postcode", "1234 AB", "1234AB 12", true},
		}},
		// Not addresses.
		{"de hele straat 12 keer, Jan van Dijk 12, ik woon 12 jaar hier, In 2012 The Way, snelweg 12", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestLicencePlate(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"kenteken GB-12-34", []want{{"licence_plate", "GB-12-34", "GB-12-34", true}}},  // 1
		{"kenteken 12-34-GB", []want{{"licence_plate", "12-34-GB", "12-34-GB", true}}},  // 2
		{"kenteken 12-GB-34", []want{{"licence_plate", "12-GB-34", "12-GB-34", true}}},  // 3
		{"kenteken BD-12-FG", []want{{"licence_plate", "BD-12-FG", "BD-12-FG", true}}},  // 4
		{"kenteken BD-FG-12", []want{{"licence_plate", "BD-FG-12", "BD-FG-12", true}}},  // 5
		{"kenteken 12-BD-FG", []want{{"licence_plate", "12-BD-FG", "12-BD-FG", true}}},  // 6
		{"kenteken 12-BDF-3", []want{{"licence_plate", "12-BDF-3", "12-BDF-3", true}}},  // 7
		{"kenteken 1-BDF-23", []want{{"licence_plate", "1-BDF-23", "1-BDF-23", true}}},  // 8
		{"kenteken BD-123-F", []want{{"licence_plate", "BD-123-F", "BD-123-F", true}}},  // 9
		{"kenteken B-123-DF", []want{{"licence_plate", "B-123-DF", "B-123-DF", true}}},  // 10
		{"kenteken BDF-12-G", []want{{"licence_plate", "BDF-12-G", "BDF-12-G", true}}},  // 11
		{"kenteken B-12-DFG", []want{{"licence_plate", "B-12-DFG", "B-12-DFG", true}}},  // 12
		{"kenteken 1-BD-234", []want{{"licence_plate", "1-BD-234", "1-BD-234", true}}},  // 13
		{"kenteken 123-BD-4", []want{{"licence_plate", "123-BD-4", "123-BD-4", true}}},  // 14
		{"kenteken 12-bdf-3.", []want{{"licence_plate", "12-bdf-3", "12-BDF-3", true}}}, // lower case
		{"kenteken 12-ABC-3", []want{{"licence_plate", "12-ABC-3", "12-ABC-3", false}}}, // vowels, C
		{"kenteken 12-PVV-3", []want{{"licence_plate", "12-PVV-3", "12-PVV-3", false}}}, // not issued
		{"kenteken AB-123-CD", nil},
		{"12-34-56 AB-CD-EF COVID-19 B-52 12-03-2009 1-2-3 12-BDF-3-4 x12-BDF-3", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestBirthDate(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"Geboren 12-03-2009 in Delft", []want{{"birth_date", "12-03-2009", "2009-03-12", true}}},
		{"geb. 1/3/2009", []want{{"birth_date", "1/3/2009", "2009-03-01", true}}},
		{"geboren op 12 maart 2009", []want{{"birth_date", "12 maart 2009", "2009-03-12", true}}},
		{"geboortedatum: 12 mrt. 2009", []want{{"birth_date", "12 mrt. 2009", "2009-03-12", true}}},
		{"born on March 12, 2009.", []want{{"birth_date", "March 12, 2009", "2009-03-12", true}}},
		{"born 12th March 2009", []want{{"birth_date", "12th March 2009", "2009-03-12", true}}},
		{"DOB: 2009-03-12", []want{{"birth_date", "2009-03-12", "2009-03-12", true}}},
		{"d.o.b. 12.03.2009", []want{{"birth_date", "12.03.2009", "2009-03-12", true}}},
		{"geboren 29-02-2008", []want{{"birth_date", "29-02-2008", "2008-02-29", true}}},
		{"geboren 31-02-2009", []want{{"birth_date", "31-02-2009", "2009-02-31", false}}},
		// Dates without a birth word, or too far from it.
		{"op 12-03-2009 was het feest", nil},
		{"geboren\n12-03-2009", nil},
		{"geboren in een dorp aan de rivier, lang geleden, op 12-03-2009", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestAge(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"Jan (15) uit Delft", []want{{"age", "(15)", "15", true}}},
		{"hij is 15 jaar oud", []want{{"age", "15 jaar oud", "15", true}}},
		{"een 15-jarige jongen", []want{{"age", "15-jarige", "15", true}}},
		{"Lisa 14 jr", []want{{"age", "14 jr", "14", true}}},
		{"she is 15 years old", []want{{"age", "15 years old", "15", true}}},
		{"a 15-year-old girl", []want{{"age", "15-year-old", "15", true}}},
		{"age 15,", []want{{"age", "age 15", "15", true}}},
		{"Leeftijd: 16", []want{{"age", "Leeftijd: 16", "16", true}}},
		{"ze is 15 jaar.", []want{{"age", "15 jaar", "15", true}}},
		{"een 150 jaar oude boom", nil},
		{"het pand is 150 jaar oud", []want{{"age", "150 jaar oud", "150", false}}},
		{"15 jaar geleden, al 15 jaar, Artikel 15, page (3) of 15 years", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestIDDocument(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"paspoort SPECI2014.", []want{{"id_document", "SPECI2014", "SPECI2014", true}}},
		{"ID-kaart: AB1234567", []want{{"id_document", "AB1234567", "AB1234567", true}}},
		{"rijbewijsnummer: 5012345678", []want{{"id_document", "5012345678", "5012345678", true}}},
		{"rijbewijs nr 5012345678", []want{{"id_document", "5012345678", "5012345678", true}}},
		// The letter O, a letter last, lower case, no keyword, glued.
		{"AO1234567 AB123456A ab1234567 COVID2019 5012345678 XAB1234567 AB1234567-2", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestPaymentCard(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"Visa 4111 1111 1111 1111.", []want{{"payment_card", "4111 1111 1111 1111", "4111111111111111", true}}},
		{"MC 5555-5555-5555-4444", []want{{"payment_card", "5555-5555-5555-4444", "5555555555554444", true}}},
		{"Amex 3782 822463 10005", []want{{"payment_card", "3782 822463 10005", "378282246310005", true}}},
		{"Amex 378282246310005", []want{{"payment_card", "378282246310005", "378282246310005", true}}},
		{"Discover 6011111111111117", []want{{"payment_card", "6011111111111117", "6011111111111117", true}}},
		{"Visa13 4222222222222", []want{{"payment_card", "4222222222222", "4222222222222", true}}},
		// Grouped like a card, known IIN, wrong check digit.
		{"4111 1111 1111 1112", []want{{"payment_card", "4111 1111 1111 1112", "4111111111111112", false}}},
		{"4111111111111112 and 1234 5678 9012 3456 and 9111111111111111", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestIP(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"IP 192.0.2.1.", []want{{"ip", "192.0.2.1", "192.0.2.1", true}}},
		{"van 198.51.100.23:8080", []want{{"ip", "198.51.100.23", "198.51.100.23", true}}},
		{"v6 2001:db8::1", []want{{"ip", "2001:db8::1", "2001:db8::1", true}}},
		{"v6 2001:0DB8:0000:0000:0000:0000:0000:0001, ok", []want{{"ip", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1", true}}},
		{"v6 fe80::1 en ::ffff:192.0.2.1", []want{{"ip", "fe80::1", "fe80::1", true}, {"ip", "::ffff:192.0.2.1", "::ffff:192.0.2.1", true}}},
		{"[2001:db8::2]:443", []want{{"ip", "2001:db8::2", "2001:db8::2", true}}},
		{"http://203.0.113.9/admin", []want{{"ip", "203.0.113.9", "203.0.113.9", true}}},
		{"999.1.1.1 1.2.3 1.2.3.4.5 12:30:45 std::vector 00:1a:2b:3c:4d:5e 01.02.03.04", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestSocial(t *testing.T) {
	for _, c := range []struct {
		text  string
		wants []want
	}{
		{"volg @Jan_Jansen", []want{{"social_handle", "@Jan_Jansen", "@jan_jansen", true}}},
		{"u/jansen_nl op reddit", []want{{"social_handle", "u/jansen_nl", "u/jansen_nl", true}}},
		{"zie /u/jansen_nl", []want{{"social_handle", "/u/jansen_nl", "u/jansen_nl", true}}},
		{"@jan@mastodon.social", []want{{"social_handle", "@jan@mastodon.social", "@jan@mastodon.social", true}}},
		{"https://www.instagram.com/jan.jansen/?hl=nl", []want{{"social_url", "https://www.instagram.com/jan.jansen/?hl=nl", "https://instagram.com/jan.jansen", true}}},
		{"instagram.com/stories/jan.jansen/123", []want{{"social_url", "instagram.com/stories/jan.jansen/123", "https://instagram.com/jan.jansen", true}}},
		{"(https://www.tiktok.com/@Jan.J)", []want{{"social_url", "https://www.tiktok.com/@Jan.J", "https://tiktok.com/@jan.j", true}}},
		{"twitter.com/Jan_J/status/123.", []want{{"social_url", "twitter.com/Jan_J/status/123", "https://x.com/jan_j", true}}},
		{"https://x.com/jan", []want{{"social_url", "https://x.com/jan", "https://x.com/jan", true}}},
		{"https://m.facebook.com/profile.php?id=1000123", []want{{"social_url", "https://m.facebook.com/profile.php?id=1000123", "https://facebook.com/profile.php?id=1000123", true}}},
		{"facebook.com/jan.jansen.9", []want{{"social_url", "facebook.com/jan.jansen.9", "https://facebook.com/jan.jansen.9", true}}},
		{"snapchat.com/add/jan_j", []want{{"social_url", "snapchat.com/add/jan_j", "https://snapchat.com/add/jan_j", true}}},
		{"youtube.com/@JanJ", []want{{"social_url", "youtube.com/@JanJ", "https://youtube.com/@janj", true}}},
		{"youtube.com/channel/UCabcdefghijKLMNOP123", []want{{"social_url", "youtube.com/channel/UCabcdefghijKLMNOP123", "https://youtube.com/channel/UCabcdefghijKLMNOP123", true}}},
		{"linkedin.com/in/jan-jansen-123", []want{{"social_url", "linkedin.com/in/jan-jansen-123", "https://linkedin.com/in/jan-jansen-123", true}}},
		{"t.me/jansen", []want{{"social_url", "t.me/jansen", "https://t.me/jansen", true}}},
		{"discord.com/users/123456789012345678", []want{{"social_url", "discord.com/users/123456789012345678", "https://discord.com/users/123456789012345678", true}}},
		{"reddit.com/user/Jansen", []want{{"social_url", "reddit.com/user/Jansen", "https://reddit.com/user/jansen", true}}},
		{"twitch.tv/jansen", []want{{"social_url", "twitch.tv/jansen", "https://twitch.tv/jansen", true}}},
		{"github.com/jansen", []want{{"social_url", "github.com/jansen", "https://github.com/jansen", true}}},
		{"https://wa.me/31612345678", []want{{"phone", "https://wa.me/31612345678", "+31612345678", true}}},
		// Not profiles; nothing inside URLs.
		{"instagram.com/p/abc github.com/features x.com/i/flow facebook.com/groups/x @media jan@voorbeeld.nl", []want{{"email", "jan@voorbeeld.nl", "jan@voorbeeld.nl", true}}},
		{"https://example.com/bel/0612345678?bsn=123456782", nil},
	} {
		checkFindings(t, c.text, c.wants...)
	}
}

func TestHandlePlatform(t *testing.T) {
	for text, platform := range map[string]string{
		"Volg haar op Instagram: @jansen_15":      "instagram",
		"@jansen_15 (tiktok)":                     "tiktok",
		"zijn snap is @jansen_15":                 "snapchat",
		"twitter @jansen en instagram\n@jansen_2": "",
		"gewoon @jansen_15":                       "",
	} {
		fs := Detect(text)
		require.NotEmpty(t, fs, text)
		f := fs[len(fs)-1]
		require.Equal(t, TypeSocialHandle, f.Type)
		require.Equal(t, platform, f.Platform, text)
	}
}

func TestOverlaps(t *testing.T) {
	// The digits of an IBAN, a URL or an e-mail address are not reported
	// on their own.
	checkFindings(t, "NL91ABNA0417164300", want{"iban", "NL91ABNA0417164300", "NL91ABNA0417164300", true})
	bsnInIBAN := makeIBAN(t, "NL", "ABNA0"+"123456782")
	checkFindings(t, bsnInIBAN, want{"iban", bsnInIBAN, bsnInIBAN, true})
	checkFindings(t, "https://t.me/jansen?tel=0612345678", want{"social_url", "https://t.me/jansen?tel=0612345678", "https://t.me/jansen", true})
	checkFindings(t, "x.com/jan0612345678", want{"social_url", "x.com/jan0612345678", "https://x.com/jan0612345678", true})
	checkFindings(t, "mail 0612345678@voorbeeld.nl", want{"email", "0612345678@voorbeeld.nl", "0612345678@voorbeeld.nl", true})
	// Sorted by start.
	text := "Jan (15), 06-12345678, jan@voorbeeld.nl, Voorbeeldstraat 12, 1234 AB, " + "NL91 ABNA 0417 1643 00"
	fs := Detect(text)
	require.Len(t, fs, 6)
	for k := 1; k < len(fs); k++ {
		require.Less(t, fs[k-1].End, fs[k].Start)
	}
}

func TestResolve(t *testing.T) {
	text := strings.Repeat("x", 40)
	fs := resolve(text, []Finding{
		{Type: TypeBSN, Start: 10, End: 19, Value: "a"},
		{Type: TypeIBAN, Start: 5, End: 23, Value: "b", Valid: true},
		{Type: TypePhone, Start: 20, End: 30, Value: "c"},
		{Type: TypeAge, Start: 30, End: 32, Value: "d"},
		{Type: TypeAge, Start: 30, End: 32, Value: "e", Valid: true},
	})
	require.Equal(t, []Finding{
		{Type: TypeIBAN, Start: 5, End: 23, Value: "b", Valid: true},
		{Type: TypeAge, Start: 30, End: 32, Value: "e", Valid: true},
	}, fs)
}

func TestHTMLText(t *testing.T) {
	text := "Naam:\tJan Jansen\nTelefoon:\t06-12345678\nE-mail:\tjan@voorbeeld.nl\n\n" +
		"Adres:\tVoorbeeldstraat 12\n1234 AB  Amsterdam\nBSN\t123456782\t\tIBAN\tNL91ABNA0417164300\r\n" +
		"Geboortedatum:\t12-03-2009\t(15 jaar oud)\n\t\thttps://instagram.com/jan.jansen\n"
	checkFindings(t, text,
		want{"phone", "06-12345678", "+31612345678", true},
		want{"email", "jan@voorbeeld.nl", "jan@voorbeeld.nl", true},
		want{"address", "Voorbeeldstraat 12", "Voorbeeldstraat 12", true},
		want{"postcode", "1234 AB", "1234AB 12", true},
		want{"bsn", "123456782", "123456782", true},
		want{"iban", "NL91ABNA0417164300", "NL91ABNA0417164300", true},
		want{"birth_date", "12-03-2009", "2009-03-12", true},
		want{"age", "15 jaar oud", "15", true},
		want{"social_url", "https://instagram.com/jan.jansen", "https://instagram.com/jan.jansen", true},
	)
}

func TestUnicodeText(t *testing.T) {
	// Offsets are in bytes; multi-byte characters right before and after
	// findings.
	text := "Zoë’s nummer: “06 12345678” — é jan@voorbeeld.nl ✓ Café-eigenaar in de Spiegelstraat 7 • " +
		"Ærø 1234 AB 😀 192.0.2.1😀 «123456782» 日本 @zoë"
	checkFindings(t, text,
		want{"phone", "06 12345678", "+31612345678", true},
		want{"email", "jan@voorbeeld.nl", "jan@voorbeeld.nl", true},
		want{"address", "Spiegelstraat 7", "Spiegelstraat 7", true},
		want{"postcode", "1234 AB", "1234AB", true},
		want{"ip", "192.0.2.1", "192.0.2.1", true},
		want{"bsn", "123456782", "123456782", true},
	)
	// A Unicode letter glued to a number makes it a word, not a number.
	checkFindings(t, "é123456782 123456782é")
}

func TestDetectorTypes(t *testing.T) {
	text := "jan@voorbeeld.nl 06-12345678 123456782"
	d := NewDetector(Options{Types: []string{TypePhone, TypeBSN, "nonsense"}})
	fs := d.Detect(text)
	require.Len(t, fs, 2)
	require.Equal(t, TypePhone, fs[0].Type)
	require.Equal(t, TypeBSN, fs[1].Type)
	// AppendDetect keeps what dst holds.
	dst := []Finding{{Type: "x"}}
	dst = d.AppendDetect(dst, text)
	require.Len(t, dst, 3)
	require.Equal(t, "x", dst[0].Type)
	require.Empty(t, Detect(""))
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		typ, value string
		ok         bool
	}{
		{TypeBSN, "123456782", true}, {TypeBSN, "123456789", false}, {TypeBSN, "000000000", false},
		{TypeIBAN, "NL91ABNA0417164300", true}, {TypeIBAN, "NL91ABNA0417164301", false}, {TypeIBAN, "NL91 ABNA 0417 1643 00", false},
		{TypePhone, "+31612345678", true}, {TypePhone, "0612345678", false}, {TypePhone, "+3161234567", false},
		{TypeEmail, "jan@voorbeeld.nl", true}, {TypeEmail, "jan@voorbeeld", false}, {TypeEmail, "a..b@x.nl", false},
		{TypePostcode, "1234AB", true}, {TypePostcode, "1234AB 12a", true}, {TypePostcode, "1234SS", false}, {TypePostcode, "0234AB", false},
		{TypeAddress, "Voorbeeldstraat 12", true}, {TypeAddress, "10 Downing Street", true}, {TypeAddress, "Voorbeeldstraat", false},
		{TypeLicencePlate, "12-BDF-3", true}, {TypeLicencePlate, "12-ABC-3", false}, {TypeLicencePlate, "12-34-56", false},
		{TypeBirthDate, "2009-03-12", true}, {TypeBirthDate, "2009-02-30", false}, {TypeBirthDate, "1800-01-01", false},
		{TypeAge, "15", true}, {TypeAge, "150", false}, {TypeAge, "015", false},
		{TypeIDDocument, "SPECI2014", true}, {TypeIDDocument, "5012345678", true}, {TypeIDDocument, "SPOCI2014", false},
		{TypePaymentCard, "4111111111111111", true}, {TypePaymentCard, "4111111111111112", false},
		{TypeIP, "192.0.2.1", true}, {TypeIP, "2001:db8::1", true}, {TypeIP, "2001:DB8::1", false},
		{TypeSocialHandle, "@jansen", true}, {TypeSocialHandle, "@123", false}, {TypeSocialHandle, "u/jansen", true},
		{TypeSocialURL, "https://x.com/jan", true}, {TypeSocialURL, "https://example.com/jan", false},
		{"nonsense", "x", false},
	} {
		require.Equal(t, c.ok, Validate(c.typ, c.value), "%s %q", c.typ, c.value)
	}
}
