package undox

import (
	"strconv"
	"time"
)

// Identifier kinds: what a protected person can be recognised by.
const (
	KindName      = "name"
	KindAddress   = "address"
	KindPostcode  = "postcode"
	KindPhone     = "phone"
	KindEmail     = "email"
	KindHandle    = "handle"
	KindSchool    = "school"
	KindIDNumber  = "id_number"
	KindBirthDate = "birth_date"
)

// IdentifierKinds lists the kinds.
func IdentifierKinds() []string {
	return []string{KindName, KindAddress, KindPostcode, KindPhone, KindEmail, KindHandle, KindSchool, KindIDNumber, KindBirthDate}
}

// ValidIdentifierKind tells whether k is a kind.
func ValidIdentifierKind(k string) bool {
	for _, v := range IdentifierKinds() {
		if v == k {
			return true
		}
	}
	return false
}

// Identifier is one identifier of a person a case protects (a name, a
// variant or nickname, an address, a phone number, …). Its value is stored
// sealed under the case's key, for the analyst; the watch index holds only
// a keyed hash of it.
type Identifier struct {
	ID        int64     `json:"id"`
	CaseRef   string    `json:"case"`
	Person    int       `json:"person"` // which protected person of the case: 1, 2, …
	Kind      string    `json:"kind"`
	Value     string    `json:"value,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// PersonID names a protected person across undox without saying anything
// about them: the case reference and the person's number in it.
func PersonID(caseRef string, person int) string { return caseRef + "/" + strconv.Itoa(person) }

// LinkSuggestion is a page on which a scan found a person that a case
// protects, while the page is not (yet) an item of that case. An analyst
// confirms it (the item joins the case) or rejects it.
type LinkSuggestion struct {
	ID        int64      `json:"id"`
	CaseRef   string     `json:"case"`
	ItemID    int64      `json:"item_id"`
	URL       string     `json:"url"`
	Kinds     []string   `json:"kinds"`  // the identifier kinds that matched, or LinkKindMirror
	Status    string     `json:"status"` // pending, confirmed, rejected
	DecidedBy string     `json:"decided_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// LinkKindMirror is the kind of a link suggestion made because the page is
// a copy of a page confirmed for the case (package mirror), not because an
// identifier matched.
const LinkKindMirror = "mirror"
