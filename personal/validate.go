package personal

import (
	"net/netip"
	"strings"
)

// Validate reports whether value, a normalized value of a finding of type
// typ, passes that type's validator: what Finding.Valid says of it.
func Validate(typ, value string) bool {
	switch typ {
	case TypeBSN:
		return ValidBSN(value)
	case TypeIBAN:
		return ValidIBAN(value)
	case TypePhone:
		return ValidPhone(value)
	case TypeEmail:
		return ValidEmail(value)
	case TypePostcode:
		return ValidPostcode(value)
	case TypeAddress:
		return validAddress(value)
	case TypeLicencePlate:
		return ValidLicencePlate(value)
	case TypeBirthDate:
		return ValidBirthDate(value)
	case TypeAge:
		return ValidAge(value)
	case TypeIDDocument:
		return ValidIDDocument(value)
	case TypePaymentCard:
		return ValidPaymentCard(value)
	case TypeIP:
		a, err := netip.ParseAddr(value)
		return err == nil && a.String() == value
	case TypeSocialHandle:
		return ValidHandle(value)
	case TypeSocialURL:
		return ValidSocialURL(value)
	}
	return false
}

// validAddress: a street and a house number, one of them first.
func validAddress(v string) bool {
	first, _, ok1 := strings.Cut(v, " ")
	last := v[strings.LastIndexByte(v, ' ')+1:]
	if !ok1 {
		return false
	}
	if _, e, ok := houseNumber(last, 0); ok && e == len(last) {
		return true
	}
	// "221B Baker Street"
	return first != "" && isDigit(first[0])
}
