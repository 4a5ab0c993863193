package undox

import "sort"

// Category is what kind of illegal content a report is about, with the
// legal basis that a notice or dossier cites.
type Category struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	LegalBasis string `json:"legal_basis"`
	// ReferralOnly content is never fetched by undox: it is accepted and
	// routed to the competent authority named by Authority.
	ReferralOnly bool   `json:"referral_only"`
	Authority    string `json:"authority,omitempty"`
}

// Category codes.
const (
	CategoryUnassessed     = "unassessed"
	CategoryDoxing         = "doxing"
	CategoryThreat         = "threat"
	CategoryExtortion      = "extortion"
	CategorySextortion     = "sextortion"
	CategoryIntimateImages = "intimate_images"
	CategoryHarassment     = "harassment"
	CategoryCSAM           = "csam"
	CategoryTerrorism      = "terrorist_content"
)

var categories = map[string]Category{
	CategoryUnassessed: {Code: CategoryUnassessed, Name: "Not yet assessed",
		LegalBasis: "to be assessed by the hotline"},
	CategoryDoxing: {Code: CategoryDoxing, Name: "Doxing",
		LegalBasis: "art. 285d Wetboek van Strafrecht (doxing)"},
	CategoryThreat: {Code: CategoryThreat, Name: "Threats",
		LegalBasis: "art. 285 Wetboek van Strafrecht (bedreiging)"},
	CategoryExtortion: {Code: CategoryExtortion, Name: "Extortion",
		LegalBasis: "art. 317 Wetboek van Strafrecht (afpersing)"},
	CategorySextortion: {Code: CategorySextortion, Name: "Sextortion",
		LegalBasis: "art. 317 and 318 Wetboek van Strafrecht (afpersing, afdreiging)"},
	CategoryIntimateImages: {Code: CategoryIntimateImages, Name: "Non-consensual intimate images",
		LegalBasis: "art. 139h Wetboek van Strafrecht (seksueel beeldmateriaal zonder toestemming)"},
	CategoryHarassment: {Code: CategoryHarassment, Name: "Harassment or stalking",
		LegalBasis: "art. 285b Wetboek van Strafrecht (belaging)"},
	CategoryCSAM: {Code: CategoryCSAM, Name: "Child sexual abuse material",
		LegalBasis:   "art. 240b Wetboek van Strafrecht (kinderpornografie)",
		ReferralOnly: true, Authority: "csam"},
	CategoryTerrorism: {Code: CategoryTerrorism, Name: "Terrorist content",
		LegalBasis:   "Regulation (EU) 2021/784 (terrorist content online); art. 421 ff. Wetboek van Strafrecht",
		ReferralOnly: true, Authority: "terrorism"},
}

// LookupCategory returns the category with the given code.
func LookupCategory(code string) (Category, bool) {
	c, ok := categories[code]
	return c, ok
}

// Categories returns every category, ordered by code.
func Categories() []Category {
	out := make([]Category, 0, len(categories))
	for _, c := range categories {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// EffectiveCategory is the category under which a report is handled.
// Intimate images and sextortion involving a minor are child sexual abuse
// material in law (art. 240b Sr): undox must never download them, so such a
// report is handled as CSAM, referral-only.
func EffectiveCategory(code string, minor bool) Category {
	if minor && (code == CategoryIntimateImages || code == CategorySextortion) {
		c := categories[CategoryCSAM]
		return c
	}
	c, ok := categories[code]
	if !ok {
		return categories[CategoryUnassessed]
	}
	return c
}
