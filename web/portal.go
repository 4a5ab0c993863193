package web

// The victim portal: the public report form (at /) and the private status
// page, rendered on the server in Dutch or English, without JavaScript and
// without inline style. Every page has a quick exit. Forms carry an
// anti-forgery token and must come from this site. From the status page the
// reporter adds links to the case, asks for its data to be erased (GDPR
// art. 17) or withdraws it.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the status page shows Dutch time on any host

	"github.com/undox/undox"
	"github.com/undox/undox/intake"
	"github.com/undox/undox/policy"
)

// DefaultQuickExitURL is where the quick exit leaves for when
// Config.QuickExitURL is empty: a neutral page.
const DefaultQuickExitURL = "https://www.google.com/search?q=weer"

// HelpLinks are the help the victim's pages point to. An empty link is
// left out.
type HelpLinks struct {
	// VictimSupport is victim support (such as Slachtofferhulp Nederland).
	VictimSupport string
	// PoliceReport is where to report a crime to the police.
	PoliceReport string
}

// reportFormMaxAge is how long a report form's token stays good.
const reportFormMaxAge = 24 * time.Hour

// maxFormBytes bounds a victim's form post.
const maxFormBytes = 256 << 10

// portalLanguages are the portal's languages; the first is the default.
var portalLanguages = []string{"nl", "en"}

// pageLanguage chooses the page's language: ?lang, else the fallback (the
// case's language) when given, else Accept-Language, else Dutch.
func pageLanguage(r *http.Request, fallback string) string {
	if l := r.URL.Query().Get("lang"); l == "nl" || l == "en" {
		return l
	}
	if r.Method == http.MethodPost {
		if l := r.PostFormValue("lang"); l == "nl" || l == "en" {
			return l
		}
	}
	if fallback == "nl" || fallback == "en" {
		return fallback
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// acceptLanguage picks nl or en by the Accept-Language header's weights,
// Dutch when it names neither.
func acceptLanguage(h string) string {
	if l := preferredLanguage(h); l != "" {
		return l
	}
	return portalLanguages[0]
}

// preferredLanguage is nl or en, whichever the Accept-Language header
// weighs most, or "" when it names neither.
func preferredLanguage(h string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if (primary == "nl" || primary == "en") && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// messages are the portal's strings, each in Dutch and English.
var messages = map[string][2]string{ // [nl, en]
	"quick_exit":       {"Snel weg", "Quick exit"},
	"quick_exit_hint":  {"Snel weg brengt u meteen naar een andere website.", "Quick exit takes you to another website at once."},
	"switch_lang":      {"English", "Nederlands"},
	"report_title":     {"Meld een pagina", "Report a page"},
	"report_intro":     {"Staan er gegevens of beelden van u of iemand anders online die daar niet horen? Meld het hier. Wij vragen de partijen die de pagina online houden om die weg te halen. U hoeft alleen de links in te vullen.", "Is information or images about you or someone else online where they do not belong? Report it here. We ask whoever keeps the page online to take it down. Only the links are needed."},
	"report_safe":      {"U doet niets verkeerd door dit te melden. Wij laten niemand weten wie de melding deed.", "You are doing nothing wrong by reporting this. We do not tell anyone who reported it."},
	"urls_label":       {"Links naar de pagina's (één per regel)", "Links to the pages (one per line)"},
	"urls_hint":        {"Kopieer de link uit de adresbalk, bijvoorbeeld https://voorbeeld.nl/bericht/123. Meerdere links mag.", "Copy the link from the address bar, for example https://example.com/post/123. Several links are fine."},
	"category_legend":  {"Wat is er gebeurd? (mag u overslaan)", "What happened? (you may skip this)"},
	"minor_legend":     {"Is de persoon over wie het gaat jonger dan 18?", "Is the person it is about under 18?"},
	"yes":              {"Ja", "Yes"},
	"no":               {"Nee", "No"},
	"dont_know":        {"Weet ik niet", "I don't know"},
	"description_lbl":  {"Wilt u nog iets vertellen? (mag leeg blijven)", "Anything else you want to tell us? (may be left empty)"},
	"email_label":      {"Uw e-mailadres (mag leeg blijven)", "Your e-mail address (may be left empty)"},
	"email_hint":       {"Alleen als u berichten wilt als er iets verandert. De berichten noemen geen namen of inhoud.", "Only if you want messages when something changes. The messages name no names and no content."},
	"consent_label":    {"Ja, undox mag mij over deze melding e-mailen. Ik kan dit stoppen door de melding in te trekken.", "Yes, undox may e-mail me about this report. I can stop this by withdrawing the report."},
	"submit":           {"Melding versturen", "Send the report"},
	"form_errors":      {"Er ging iets mis. Kijk hieronder wat er anders moet; wat u invulde staat er nog.", "Something needs fixing. See below what to change; everything you typed is still there."},
	"err_urls_missing": {"Vul minstens één link in.", "Give at least one link."},
	"err_urls_many":    {"Te veel links in één melding (hoogstens %d).", "Too many links in one report (at most %d)."},
	"err_url_line":     {"Regel %d: dit is geen werkend webadres (begin met https://).", "Line %d: this is not a working web address (start with https://)."},
	"err_url_private":  {"Regel %d: dit adres is niet op het openbare internet.", "Line %d: this address is not on the public internet."},
	"err_url_long":     {"Regel %d: deze link is te lang (hoogstens %d tekens).", "Line %d: this link is too long (at most %d characters)."},
	"err_url_scheme":   {"Regel %d: alleen webadressen die met http:// of https:// beginnen kunnen worden gemeld.", "Line %d: only web addresses that start with http:// or https:// can be reported."},
	"err_category":     {"Kies een van de mogelijkheden.", "Choose one of the options."},
	"err_description":  {"Deze tekst is te lang (hoogstens %d tekens).", "This text is too long (at most %d characters)."},
	"err_desc_text":    {"Deze tekst bevat tekens die we niet kunnen lezen.", "This text contains characters we cannot read."},
	"err_email":        {"Dit is geen geldig e-mailadres.", "This is not a valid e-mail address."},
	"err_consent":      {"Vink het vakje aan als u berichten wilt, of laat het e-mailadres leeg.", "Tick the box if you want messages, or leave the e-mail address empty."},
	"err_csrf":         {"Dit formulier is verlopen of kwam niet van deze website. Controleer uw gegevens en verstuur opnieuw.", "This form expired or did not come from this website. Check what you typed and send it again."},
	"err_rate":         {"Er zijn net veel meldingen verstuurd vanaf uw verbinding. Wacht een minuut en probeer het opnieuw.", "Many reports were just sent from your connection. Please wait a minute and try again."},
	"err_internal":     {"Er ging bij ons iets mis. Uw melding is niet opgeslagen. Probeer het later opnieuw.", "Something went wrong on our side. Your report was not saved. Please try again later."},
	"done_title":       {"Uw melding is ontvangen", "Your report was received"},
	"done_ref":         {"Uw kenmerk", "Your reference"},
	"done_link":        {"Uw persoonlijke link", "Your private link"},
	"done_save":        {"Bewaar deze link nu. Na deze pagina kunnen wij hem niet opnieuw tonen. Met de link volgt u uw melding, voegt u links toe en kunt u de melding intrekken. Deel hem niet met anderen.", "Save this link now. After this page we cannot show it again. With it you follow your report, add links and can withdraw it. Do not share it with anyone."},
	"done_hidden":      {"Deze melding hebben we al. Uw persoonlijke link tonen we hier niet opnieuw: hij stond op de pagina na het versturen, en in de e-mail als u daarom vroeg. Bent u de link kwijt? Neem contact met ons op.", "We have this report already. We do not show your personal link here again: it was on the page after sending, and in the e-mail if you asked for one. Lost the link? Contact us."},
	"done_no_mail":     {"We sturen deze link niet per e-mail.", "We do not send this link by e-mail."},
	"done_mailed":      {"We hebben deze link ook naar uw e-mailadres gestuurd. Ziet u de e-mail niet? Kijk dan bij uw ongewenste e-mail.", "We also sent this link to your e-mail address. If you do not see the e-mail, look in your spam folder."},
	"done_mail_failed": {"Het lukte niet om deze link te e-mailen. Bewaar hem daarom nu.", "We could not e-mail this link. Please save it now."},
	"done_open":        {"Open uw statuspagina", "Open your status page"},
	"done_again":       {"Dit formulier was al verstuurd. Er is geen tweede melding gemaakt: dit is dezelfde melding, met dezelfde link.", "This form had been sent already. No second report was made: this is the same report, with the same link."},
	"done_mail_once":   {"Vroeg u om e-mail? Dan hebben we deze link toen één keer gestuurd; we sturen hem niet opnieuw.", "Did you ask for e-mail? Then we sent this link once at the time; we do not send it again."},
	"err_resent":       {"Dit formulier was al verstuurd, met andere links. Controleer wat u invulde en verstuur het opnieuw.", "This form had been sent already, with other links. Check what you typed and send it again."},
	"err_resent_gone":  {"Dit formulier was al verstuurd, en die melding is intussen ingetrokken of gewist. Wilt u opnieuw melden? Verstuur het formulier dan nog een keer.", "This form had been sent already, and that report has since been withdrawn or erased. To report again, send the form once more."},
	"help_title":       {"Hulp", "Help"},
	"help_talk":        {"Praten met iemand kan helpen. U kunt ook aangifte doen bij de politie; dat hoeft niet om hier te melden.", "Talking to someone can help. You can also report it to the police; you do not have to in order to report here."},
	"help_support":     {"Slachtofferhulp", "Victim support"},
	"help_police":      {"Aangifte doen bij de politie", "Report to the police"},
	"status_title":     {"Uw melding", "Your report"},
	"status_ref":       {"Kenmerk", "Reference"},
	"status_received":  {"Ontvangen", "Received"},
	"status_links":     {"Waar elke link staat", "Where each link stands"},
	"status_timeline":  {"Wat we deden", "What we did"},
	"timeline_start":   {"We hebben uw melding ontvangen.", "We received your report."},
	"status_next":      {"Wat er nu gebeurt", "What happens next"},
	"status_deadline":  {"We hebben gevraagd de inhoud uiterlijk %s weg te halen. Gebeurt dat niet, dan gaan we een stap verder.", "We asked for it to be taken down by %s. If that does not happen, we take the next step."},
	"next_open":        {"We bekijken elke link, meestal binnen twee werkdagen. Breekt een pagina de regels, dan vragen we de partij die hem online houdt om hem weg te halen. Die krijgt daar %s voor; reageert ze niet, dan gaan we naar een volgende partij. U hoeft niets te doen.", "We look at every link, usually within two working days. If a page breaks the rules, we ask whoever keeps it online to take it down. They get %s for that; if they do not act, we turn to the next party. You do not have to do anything."},
	"next_open_minor":  {"Omdat het om iemand onder de 18 gaat, bekijken we elke link met voorrang. Breekt een pagina de regels, dan vragen we de partij die hem online houdt om hem weg te halen. Die krijgt daar %s voor; reageert ze niet, dan gaan we meteen naar een volgende partij. U hoeft niets te doen.", "Because it is about someone under 18, we look at every link first. If a page breaks the rules, we ask whoever keeps it online to take it down. They get %s for that; if they do not act, we turn to the next party at once. You do not have to do anything."},
	"next_referral":    {"Dit soort inhoud vragen we niet zelf weg te halen: we geven het door aan de instantie die erover gaat, en die zorgt dat het offline gaat. U hoeft niets te doen.", "We do not ask for this kind of content to be taken down ourselves: we pass it on to the authority that handles it, which has it taken offline. You do not have to do anything."},
	"deadline_hours":   {"%d uur", "%d hours"},
	"deadline_days":    {"%d dagen", "%d days"},
	"deadline_paused":  {"%s (weekenden en feestdagen tellen niet mee)", "%s (weekends and public holidays do not count)"},
	"deadline_weekend": {"%s (weekenden tellen niet mee)", "%s (weekends do not count)"},
	"deadline_holiday": {"%s (feestdagen tellen niet mee)", "%s (public holidays do not count)"},
	"next_closed":      {"We zijn klaar met deze melding. Komt de inhoud terug, meld het dan opnieuw.", "We have finished with this report. If the content comes back, please report it again."},
	"next_withdrawn":   {"U heeft de melding ingetrokken. We wissen uw gegevens; alleen wat de wet ons verplicht te bewaren houden we.", "You withdrew the report. We are erasing your data; we keep only what the law requires us to keep."},
	"add_title":        {"Meer links melden", "Report more links"},
	"add_label":        {"Nieuwe links bij deze melding (één per regel)", "New links for this report (one per line)"},
	"add_button":       {"Links toevoegen", "Add the links"},
	"add_done":         {"We hebben de links aan uw melding toegevoegd. We bekijken ze zoals de andere.", "We added the links to your report. We will look at them like the others."},
	"add_none":         {"Deze links stonden al in uw melding.", "These links were already in your report."},
	"add_closed":       {"Deze melding is afgesloten. Wilt u meer links melden? Doe dan een nieuwe melding.", "This report is closed. Want to report more links? Please make a new report."},
	"err_add_now":      {"Aan deze melding kunnen nu geen links worden toegevoegd. Doe een nieuwe melding.", "Links cannot be added to this report now. Please make a new report."},
	"erase_title":      {"Uw gegevens laten wissen", "Have your data erased"},
	"erase_text":       {"U kunt ons vragen alle gegevens van deze melding te wissen: uw e-mailadres, wat u ons vertelde en wat we van de pagina's bewaarden. Daarna kunnen we niets meer voor deze melding doen. We wissen binnen een maand; alleen wat de wet ons verplicht te bewaren houden we.", "You can ask us to erase all data of this report: your e-mail address, what you told us and what we kept of the pages. After that we can no longer do anything for this report. We erase within one month; we keep only what the law requires us to keep."},
	"erase_confirm":    {"Ik wil dat de gegevens van deze melding worden gewist.", "I want the data of this report to be erased."},
	"erase_button":     {"Vragen om te wissen", "Ask for erasure"},
	"erase_requested":  {"U heeft op %s gevraagd de gegevens van deze melding te wissen. Dat doen we uiterlijk op %s.", "On %s you asked us to erase the data of this report. We will do so by %s at the latest."},
	"erase_done":       {"We hebben uw verzoek ontvangen.", "We received your request."},
	"erase_again":      {"U had dit al gevraagd; uw eerdere verzoek geldt.", "You had asked for this already; your earlier request stands."},
	"err_erase":        {"Vink het vakje aan om te vragen de gegevens te wissen.", "Tick the box to ask for the data to be erased."},
	"withdraw_title":   {"Melding intrekken", "Withdraw the report"},
	"withdraw_text":    {"Als u de melding intrekt, stoppen we en wissen we uw gegevens (behalve wat de wet ons verplicht te bewaren). Dit kan niet ongedaan worden gemaakt.", "If you withdraw the report, we stop and erase your data (except what the law requires us to keep). This cannot be undone."},
	"withdraw_confirm": {"Ik wil deze melding intrekken.", "I want to withdraw this report."},
	"withdraw_button":  {"Melding intrekken", "Withdraw the report"},
	"withdraw_done":    {"Uw melding is ingetrokken.", "Your report was withdrawn."},
	"err_withdraw":     {"Vink het vakje aan om de melding in te trekken.", "Tick the box to withdraw the report."},
	"err_withdraw_now": {"Deze melding kan nu niet worden ingetrokken.", "This report cannot be withdrawn now."},
	"gone_title":       {"Deze link werkt niet", "This link does not work"},
	"gone_text":        {"De link is misschien niet goed gekopieerd, of de melding is afgesloten en gewist. Hulp nodig? Doe een nieuwe melding.", "The link may not have been copied correctly, or the report was closed and erased. Need help? Make a new report."},
	"new_report":       {"Nieuwe melding", "New report"},
	"status_error":     {"Er ging bij ons iets mis. Probeer het later opnieuw.", "Something went wrong on our side. Please try again later."},
	"notfound_title":   {"Deze pagina bestaat niet", "This page does not exist"},
	"notfound_text":    {"Misschien is de link niet helemaal goed overgenomen. Wilt u een pagina melden? Dat kan met het formulier.", "The link may not have been copied completely. Want to report a page? Use the form."},
	"notallowed_title": {"Deze pagina opent u zo niet", "This page does not open this way"},
	"notallowed_text":  {"Dit adres ontvangt wat u in een formulier invult; het is geen pagina om te openen of te herladen. Ga terug naar de vorige pagina en verstuur het formulier opnieuw, of open de link uit uw ontvangstbevestiging.", "This address receives what you fill in on a form; it is not a page to open or reload. Go back to the previous page and send the form again, or open the link in your receipt."},

	// The staff pages: login, the layout, the placeholders (login.go, session.go).
	"login_title":           {"Inloggen", "Log in"},
	"login_intro":           {"Voor medewerkers van het meldpunt. Log in met uw e-mailadres, uw wachtwoord en de code uit uw authenticator-app.", "For the hotline's staff. Log in with your e-mail address, your password and the code from your authenticator app."},
	"login_email":           {"E-mailadres", "E-mail address"},
	"login_password":        {"Wachtwoord", "Password"},
	"login_code":            {"Code (6 cijfers)", "Code (6 digits)"},
	"login_code_hint":       {"De code die uw authenticator-app nu toont.", "The code your authenticator app shows now."},
	"login_submit":          {"Inloggen", "Log in"},
	"login_err_failed":      {"Inloggen is niet gelukt. Controleer uw e-mailadres, wachtwoord en code en probeer het opnieuw.", "Login failed. Check your e-mail address, password and code and try again."},
	"login_err_throttled":   {"Te veel mislukte pogingen om in te loggen. Probeer het over %d minuten opnieuw.", "Too many failed login attempts. Please try again in %d minutes."},
	"login_err_cross_site":  {"Dit verzoek kwam niet van deze website en is geweigerd.", "This request did not come from this website and was refused."},
	"login_err_internal":    {"Er ging bij ons iets mis. Probeer het later opnieuw.", "Something went wrong on our side. Please try again later."},
	"login_err_forbidden":   {"Uw rol geeft geen toegang tot deze pagina.", "Your role does not give access to this page."},
	"login_forbidden_title": {"Geen toegang", "No access"},
	"login_skip":            {"Naar de inhoud", "Skip to content"},
	"login_nav_label":       {"Hoofdmenu", "Main menu"},
	"login_nav_queue":       {"Werkvoorraad", "Work queue"},
	"login_nav_dashboard":   {"Overzicht", "Dashboard"},
	"login_nav_sites":       {"Sites", "Sites"},
	"login_nav_admin":       {"Beheer", "Admin"},
	"login_logout":          {"Uitloggen", "Log out"},
	"login_queue_title":     {"Werkvoorraad", "Work queue"},
	"login_queue_soon":      {"Hier komen de meldingen die op behandeling wachten, de belangrijkste eerst.", "The reports waiting to be handled will be listed here, the most urgent first."},
	"login_admin_title":     {"Beheer", "Admin"},
	"login_admin_users":     {"Medewerkers", "Staff"},
	"login_admin_name":      {"Naam", "Name"},
	"login_admin_role":      {"Rol", "Role"},
	"login_admin_state":     {"Status", "State"},
	"login_admin_active":    {"Actief", "Active"},
	"login_admin_disabled":  {"Uitgeschakeld", "Disabled"},
	"login_admin_no_totp":   {"Tweede factor niet ingesteld", "Second factor not enrolled"},
	"login_admin_cli":       {"Accounts maakt u met undox user add op de server.", "Accounts are made with undox user add on the server."},
	"login_role_analyst":    {"analist", "analyst"},
	"login_role_supervisor": {"supervisor", "supervisor"},
	"login_role_admin":      {"beheerder", "admin"},
	"login_role_auditor":    {"auditor", "auditor"},
}

// tr returns the portal's strings in a language.
func tr(lang string) map[string]string {
	i := 0
	if lang == "en" {
		i = 1
	}
	out := make(map[string]string, len(messages))
	for k, v := range messages {
		out[k] = v[i]
	}
	return out
}

// reportCategories are the categories a victim chooses from, in plain
// words and in the order shown; "" is "not sure". Child sexual abuse
// material and terrorist content go to their own hotlines, and a minor's
// intimate images are handled as the former by intake.
var reportCategories = []struct {
	Code string
	Name [2]string
}{
	{undox.CategoryDoxing, [2]string{"Mijn adres, telefoonnummer of andere persoonlijke gegevens zijn online gezet", "My address, phone number or other personal details were put online"}},
	{undox.CategoryIntimateImages, [2]string{"Naaktbeelden of seksuele beelden zijn zonder toestemming gedeeld", "Nude or sexual images were shared without consent"}},
	{undox.CategorySextortion, [2]string{"Iemand dreigt beelden te delen als ik niet betaal of meer stuur", "Someone threatens to share images unless I pay or send more"}},
	{undox.CategoryThreat, [2]string{"Ik word bedreigd", "I am being threatened"}},
	{undox.CategoryExtortion, [2]string{"Iemand wil geld of iets anders van mij en dreigt", "Someone wants money or something else from me and threatens me"}},
	{undox.CategoryHarassment, [2]string{"Ik word lastiggevallen of gestalkt", "I am being harassed or stalked"}},
	{"", [2]string{"Iets anders, of ik weet het niet", "Something else, or I am not sure"}},
}

type choice struct {
	Value, Label string
	Checked      bool
}

// reportForm is what the victim typed, kept through every re-render.
type reportForm struct {
	URLs, Category, Minor, Description, Email string
	Consent                                   bool
}

type reportPage struct {
	// Here is the page's path, which the language switch links to.
	Here        string
	Lang, Other string
	T           map[string]string
	QuickExit   string
	Help        HelpLinks
	CSRF        string
	// Submission is the form's one-time submission key: a resend of the
	// form (the browser's "resend", the receipt's language switch) is
	// the same report and shows the same receipt.
	Submission string
	Form       reportForm
	Categories []choice
	Minor      []choice
	Errors     map[string]string
	Problem    string
	Receipt    *undox.Receipt
	// Mail says whether the status link was e-mailed too.
	Mail string
	// Again says that the form had been sent before: this is its receipt.
	Again bool
	// Hidden: the receipt is shown without its link (sent again from
	// another browser, or too late).
	Hidden bool
}

func (s *Server) quickExit() string {
	if s.QuickExitURL != "" {
		return s.QuickExitURL
	}
	return DefaultQuickExitURL
}

func (s *Server) formKey(purpose string) []byte {
	m := hmac.New(sha256.New, s.Store.ResponseFormKey())
	m.Write([]byte("victim-portal:" + purpose))
	return m.Sum(nil)
}

// reportFormToken is a fresh token for the report form: the time and a
// random nonce, with their HMAC.
func (s *Server) reportFormToken() string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().Unix()))
	rand.Read(b[8:])
	m := hmac.New(sha256.New, s.formKey("report"))
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) reportFormTokenOK(tok string) bool {
	payload, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(b) != 24 {
		return false
	}
	m := hmac.New(sha256.New, s.formKey("report"))
	m.Write(b)
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(mac), []byte(want)) {
		return false
	}
	age := time.Since(time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0))
	return age > -time.Minute && age < reportFormMaxAge
}

// receiptCookie marks the browser that was shown a receipt: for
// receiptShownFor, a resend of the same form from it (its language switch,
// or a reload) shows the link again; from anywhere else, or later, the
// page confirms the report without the link.
const (
	receiptCookie   = "undox_receipt"
	receiptShownFor = 15 * time.Minute
)

// receiptMark is what the cookie holds for a submission key: the time
// it was set, and their HMAC.
func (s *Server) receiptMark(key string, at time.Time) string {
	m := hmac.New(sha256.New, s.formKey("receipt"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(at.Unix()))
	m.Write(b[:])
	m.Write([]byte(key))
	return base64.RawURLEncoding.EncodeToString(b[:]) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) markReceipt(w http.ResponseWriter, r *http.Request, key string) {
	http.SetCookie(w, &http.Cookie{Name: receiptCookie, Value: s.receiptMark(key, time.Now()), Path: "/",
		MaxAge: int(receiptShownFor / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// receiptSeen says whether this browser was shown the receipt of the
// submission key in the last receiptShownFor.
func (s *Server) receiptSeen(r *http.Request, key string) bool {
	c, err := r.Cookie(receiptCookie)
	if err != nil || key == "" {
		return false
	}
	stamp, _, ok := strings.Cut(c.Value, ".")
	b, err := base64.RawURLEncoding.DecodeString(stamp)
	if !ok || err != nil || len(b) != 8 {
		return false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	if age := time.Since(at); age < -time.Minute || age > receiptShownFor {
		return false
	}
	return hmac.Equal([]byte(c.Value), []byte(s.receiptMark(key, at)))
}

// newSubmissionKey is a fresh one-time submission key for the report
// form: 128 random bits.
func newSubmissionKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// submissionKeyOK tells whether a posted submission key has the form of
// one newSubmissionKey makes.
func submissionKeyOK(key string) bool {
	b, err := base64.RawURLEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// formIdempotency is the idempotency of a report sent with the form's
// submission key, as POST /api/v1/reports takes an Idempotency-Key: the
// key, in a namespace of its own, and a hash of the report's links,
// category and minor answer. The receipt's language switch re-posts just
// these, not the description nor the e-mail address.
func formIdempotency(key string, rep undox.Report) *undox.Idempotency {
	b, _ := json.Marshal(struct {
		URLs     []string `json:"urls"`
		Category string   `json:"category"`
		IsMinor  bool     `json:"is_minor"`
	}{rep.URLs, rep.Category, rep.IsMinor})
	sum := sha256.Sum256(append([]byte("report form\x00"), b...))
	return &undox.Idempotency{Key: "form:" + key, RequestHash: sum[:]}
}

// statusFormToken binds the status page's forms to their link.
func (s *Server) statusFormToken(token string) string {
	m := hmac.New(sha256.New, s.formKey("status"))
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// victimCSP is the victim pages' Content Security Policy: no script and no
// inline style at all (their style is /assets/victim.css).
const victimCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed static/victim.css
var victimCSS []byte

// victimStyle serves the victim pages' style sheet. Like the pages, it is
// not cached: a browser's cache should not show that undox was visited.
func (s *Server) victimStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(victimCSS)
}

// victimHeaders are the headers of every victim page.
func victimHeaders(w http.ResponseWriter) { pageHeaders(w, victimCSP) }

// pageHeaders are the headers of a victim's or a staff member's page,
// under the content security policy csp: never cached nor indexed.
func pageHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	// Forms post to this site: let the browser send Origin. Links
	// elsewhere carry no referrer.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Type", "text/html; charset=utf-8")
}

func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	victimHeaders(w)
	w.WriteHeader(code)
	if err := s.pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
	}
}

func (s *Server) newReportPage(lang string, f reportForm) *reportPage {
	i := 0
	if lang == "en" {
		i = 1
	}
	p := &reportPage{Here: "/", Lang: lang, Other: otherLanguage(lang), T: tr(lang), QuickExit: s.quickExit(), Help: s.HelpLinks,
		CSRF: s.reportFormToken(), Submission: newSubmissionKey(), Form: f, Errors: map[string]string{}}
	for _, c := range reportCategories {
		p.Categories = append(p.Categories, choice{c.Code, c.Name[i], f.Category == c.Code})
	}
	for _, m := range []string{"yes", "no", "unknown"} {
		label := p.T[m]
		if m == "unknown" {
			label = p.T["dont_know"]
		}
		p.Minor = append(p.Minor, choice{m, label, f.Minor == m})
	}
	return p
}

func otherLanguage(lang string) string {
	if lang == "en" {
		return "nl"
	}
	return "en"
}

// reportGet shows the report form.
func (s *Server) reportGet(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "report.html", s.newReportPage(pageLanguage(r, ""), reportForm{}))
}

// reportMoved sends the form's old address, /report, to / (a post to
// /report is still taken).
func (s *Server) reportMoved(w http.ResponseWriter, r *http.Request) {
	target := "/"
	if q := r.URL.RawQuery; q != "" {
		target += "?" + q
	}
	http.Redirect(w, r, target, http.StatusPermanentRedirect)
}

// splitURLs reads the textarea: URLs separated by any white space (a URL
// has none of its own), so two links pasted on one line are two. line
// maps each URL to its line number.
func splitURLs(text string) (urls []string, line []int) {
	for i, l := range strings.Split(text, "\n") {
		for _, u := range strings.Fields(l) {
			urls, line = append(urls, u), append(line, i+1)
		}
	}
	return urls, line
}

// reportPost takes a report from the form.
func (s *Server) reportPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p := s.newReportPage(pageLanguage(r, ""), reportForm{})
		p.Problem = p.T["form_errors"]
		s.render(w, http.StatusBadRequest, "report.html", p)
		return
	}
	pf := r.PostForm
	f := reportForm{URLs: pf.Get("urls"), Category: pf.Get("category"), Minor: pf.Get("minor"),
		Description: pf.Get("description"), Email: strings.TrimSpace(pf.Get("email")), Consent: pf.Get("consent") == "yes"}
	lang := pageLanguage(r, "")
	p := s.newReportPage(lang, f)
	// A form shown again to be corrected keeps its submission key: it is
	// still the one report.
	key := pf.Get("submission")
	if submissionKeyOK(key) {
		p.Submission = key
	} else {
		key = ""
	}
	if !s.reportFormTokenOK(pf.Get("csrf")) || !sameOrigin(r) {
		p.Problem = p.T["err_csrf"]
		s.render(w, http.StatusForbidden, "report.html", p)
		return
	}
	known := false
	for _, c := range reportCategories {
		known = known || c.Code == f.Category
	}
	if !known {
		p.Errors["category"] = p.T["err_category"]
	}
	if f.Email != "" && !f.Consent {
		p.Errors["email"] = p.T["err_consent"]
	}
	urls, lines := splitURLs(f.URLs)
	rep := undox.Report{URLs: urls, Category: f.Category, Description: f.Description, IsMinor: f.Minor == "yes",
		ReporterEmail: f.Email, Language: lang, Consent: f.Consent}
	valid, err := intake.Validate(rep)
	if err != nil {
		fieldErrors(p.T, p.Errors, err, lines)
	}
	if len(p.Errors) > 0 {
		p.Problem = p.T["form_errors"]
		s.render(w, http.StatusBadRequest, "report.html", p)
		return
	}
	// The same browser sending its own report again (the receipt's
	// language switch, a reload) makes no new one: it does not count
	// against the limit. (With that key, other links are refused.)
	if !s.receiptSeen(r, key) && s.overLimit(w, r) {
		p.Problem = p.T["err_rate"]
		s.render(w, http.StatusTooManyRequests, "report.html", p)
		return
	}
	sub := intake.Submission{Report: rep}
	if key != "" {
		sub.Idempotency = formIdempotency(key, valid)
	}
	rcpt, err := s.Intake.Submit(r.Context(), undox.Public, sub)
	switch {
	case err == nil:
		// The receipt's language switch sends the same submission again
		// (what identifies it, not the description nor the address),
		// which shows this receipt in the other language.
		done := s.newReportPage(lang, reportForm{URLs: f.URLs, Category: f.Category, Minor: f.Minor})
		done.CSRF, done.Submission = pf.Get("csrf"), key
		done.Receipt = &rcpt
		// The link is e-mailed when an address and consent were given
		// and undox can send e-mail; a form sent again sends none.
		done.Mail = done.T["done_no_mail"]
		if rcpt.Duplicate {
			done.Again = pf.Get("switch") != "lang"
			done.Mail = done.T["done_mail_once"]
			if !s.receiptSeen(r, key) {
				// Sent again from elsewhere, or long after: whoever uses
				// this browser now may not be the reporter (the back
				// button re-sends the form), so the link is not shown
				// again.
				done.Receipt.StatusURL, done.Hidden = "", true
			}
		} else if f.Email != "" && f.Consent && s.Intake.Receipts != nil {
			done.Mail = done.T["done_mailed"]
			if !s.Intake.MailReceipt(r.Context(), rep, rcpt) {
				// MailReceipt logs why (never the address).
				done.Mail = done.T["done_mail_failed"]
			}
		}
		if !rcpt.Duplicate && key != "" {
			s.markReceipt(w, r, key)
		}
		s.render(w, http.StatusOK, "report.html", done)
	case undox.ErrorCode(err) == undox.EIDEMPOTENCY, undox.ErrorCode(err) == undox.EERASED:
		// The key went with another report, or its case is gone: the
		// form, with a new key, makes a new one.
		p.Submission = newSubmissionKey()
		p.Problem = p.T["err_resent"]
		if undox.ErrorCode(err) == undox.EERASED {
			p.Problem = p.T["err_resent_gone"]
		}
		s.render(w, http.StatusConflict, "report.html", p)
	case undox.ErrorCode(err) == undox.EINVALID:
		fieldErrors(p.T, p.Errors, err, lines)
		p.Problem = p.T["form_errors"]
		s.render(w, http.StatusBadRequest, "report.html", p)
	default:
		s.log.Error("report form", "err", err)
		p.Problem = p.T["err_internal"]
		s.render(w, http.StatusInternalServerError, "report.html", p)
	}
}

// fieldErrors puts intake's errors next to the form's fields (errs by
// field), in the page's language (t). lines maps each URL to its line.
func fieldErrors(t, errs map[string]string, err error, lines []int) {
	var urlErrs []string
	fields := undox.ErrorFields(err)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return urlIndex(keys[i]) < urlIndex(keys[j]) })
	for _, k := range keys {
		msg := fields[k]
		switch {
		case k == "urls" && len(lines) == 0:
			errs["urls"] = t["err_urls_missing"]
		case k == "urls":
			errs["urls"] = fmt.Sprintf(t["err_urls_many"], intake.MaxURLsPerReport)
		case strings.HasPrefix(k, "urls["):
			n := urlIndex(k)
			line := n + 1
			if n >= 0 && n < len(lines) {
				line = lines[n]
			}
			// Words on one line are links of their own: each line's
			// message is said once.
			if m := urlError(t, msg, line); !slices.Contains(urlErrs, m) {
				urlErrs = append(urlErrs, m)
			}
		case k == "category":
			errs["category"] = t["err_category"]
		case k == "description" && strings.Contains(msg, "UTF-8"):
			errs["description"] = t["err_desc_text"]
		case k == "description":
			errs["description"] = fmt.Sprintf(t["err_description"], intake.MaxDescription)
		case k == "reporter_email":
			errs["email"] = t["err_email"]
		default:
			errs["form"] = msg
		}
	}
	if len(urlErrs) > 0 && errs["urls"] == "" {
		errs["urls"] = strings.Join(urlErrs, " ")
	}
}

// urlError says in the page's language (t) what is wrong with the link on
// a line, by the cause that intake's message (msg) names: too long, not
// http or https, not on the public internet (a private address, or a
// local name such as localhost), or no web address at all.
func urlError(t map[string]string, msg string, line int) string {
	switch {
	case strings.Contains(msg, "longer than"):
		return fmt.Sprintf(t["err_url_long"], line, undox.MaxURLLength)
	case strings.Contains(msg, "only http and https"):
		return fmt.Sprintf(t["err_url_scheme"], line)
	case strings.Contains(msg, "private network"), localName(msg):
		return fmt.Sprintf(t["err_url_private"], line)
	}
	return fmt.Sprintf(t["err_url_line"], line)
}

// localName tells whether intake refused the host name localhost: this
// machine, not the internet.
func localName(msg string) bool {
	_, name, ok := strings.Cut(msg, "the host name ")
	if !ok {
		return false
	}
	name, _, _ = strings.Cut(name, " is not a valid public domain name")
	name, err := strconv.Unquote(name)
	return err == nil && (name == "localhost" || strings.HasSuffix(name, ".localhost"))
}

// urlIndex is i of "urls[i]", -1 for other fields.
func urlIndex(field string) int {
	v, ok := strings.CutPrefix(field, "urls[")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v, "]"))
	if err != nil {
		return -1
	}
	return n
}

// notFoundPage is the page of a path undox does not have, for browsers:
// in the public pages' language, with the quick exit and a way to the
// form. Its language switch is a link to "?lang=…", the same path.
func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request, code int) {
	lang := r.URL.Query().Get("lang") // a post's body is not read
	if lang != "nl" && lang != "en" {
		lang = acceptLanguage(r.Header.Get("Accept-Language"))
	}
	s.render(w, code, "notfound.html", statusPageData{Lang: lang, Other: otherLanguage(lang), T: tr(lang),
		QuickExit: s.quickExit(), Help: s.HelpLinks, NotAllowed: code == http.StatusMethodNotAllowed})
}

// The status page.

type statusItem struct {
	URL, Stage string
	// Expect says, where undox knows it, by when the next step is due.
	Expect string
}

// itemDeadline is the deadline undox asked the intermediary to meet for
// an item that waits for its removal: the latest of its sent notices'.
func itemDeadline(it *undox.Item) *time.Time {
	switch it.Status {
	case undox.ItemNotified, undox.ItemEscalated, undox.ItemReappeared:
	default:
		return nil
	}
	var due *time.Time
	for _, n := range it.Notices {
		if n.SentAt != nil && n.Deadline != nil && (due == nil || n.Deadline.After(*due)) {
			due = n.Deadline
		}
	}
	return due
}

// expectation says by when the next step for an item is due, as far as
// undox knows: the deadline it asked the intermediary to meet.
func expectation(t map[string]string, lang string, it *undox.Item) string {
	due := itemDeadline(it)
	if due == nil {
		return ""
	}
	return fmt.Sprintf(t["status_deadline"], formatDate(lang, *due))
}

type statusEntry struct {
	When, Text string
}

type statusPageData struct {
	Here        string
	Lang, Other string
	T           map[string]string
	QuickExit   string
	Help        HelpLinks
	Token       string
	CSRF        string
	Ref         string
	Received    string
	Items       []statusItem
	Timeline    []statusEntry
	Next        string
	CanWithdraw bool
	Done        string
	Problem     string
	Gone        bool
	// CanAdd offers the form that adds links (an open case); Closed says
	// to make a new report instead. AddURLs and AddError are what was
	// typed into it and what is wrong with it.
	CanAdd, Closed    bool
	AddURLs, AddError string
	// Erasure tells of the reporter's erasure request; CanErase offers
	// the form that makes one.
	Erasure  string
	CanErase bool
	// NotAllowed: the page of a path that exists but not for this method
	// (a form's address opened or reloaded), instead of the one of a path
	// that does not exist.
	NotAllowed bool
}

// addForm is what was typed into the status page's form that adds links,
// and what intake found wrong with it (err, with each URL's line).
type addForm struct {
	urls  string
	err   error
	lines []int
}

var amsterdam = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return l
	}
	return time.UTC
}()

var dutchMonths = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
	"september", "oktober", "november", "december"}

// formatDay writes a day as people read it in the language.
func formatDay(lang string, t time.Time) string {
	t = t.In(amsterdam)
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d %s %d", t.Day(), dutchMonths[t.Month()-1], t.Year())
}

// formatDate writes a time as people read it in the language.
func formatDate(lang string, t time.Time) string {
	t = t.In(amsterdam)
	if lang == "en" {
		return t.Format("2 January 2006, 15:04")
	}
	return fmt.Sprintf("%d %s %d, %s", t.Day(), dutchMonths[t.Month()-1], t.Year(), t.Format("15:04"))
}

// stages say in plain words what an item's state means, in nl and en.
var stages = map[undox.ItemStatus][2]string{
	undox.ItemNew:         {"We hebben deze link ontvangen en bekijken hem binnenkort.", "We received this link and will look at it soon."},
	undox.ItemCaptured:    {"We controleren deze link.", "We are checking this link."},
	undox.ItemUnreachable: {"We konden deze pagina niet openen. Misschien is hij al offline, of alleen te zien na inloggen. We proberen het opnieuw en een medewerker kijkt ernaar. Ziet u de pagina nog wel? Kijk dan of de link klopt; een betere link kunt u hieronder toevoegen.", "We could not open this page. It may be offline already, or only visible after logging in. We try again and a member of staff will look at it. Can you still see the page? Then check that the link is right; you can add a better link below."},
	undox.ItemConfirmed:   {"We hebben de link bekeken. We vragen de partij die hem online houdt om hem weg te halen.", "We checked it. We will ask the company that hosts it to take it down."},
	undox.ItemNotified:    {"We hebben gevraagd de inhoud weg te halen en wachten op antwoord.", "We asked the company that hosts it to take it down. We are waiting for them."},
	undox.ItemEscalated:   {"Er werd niet op tijd gereageerd. We hebben anderen gevraagd de inhoud weg te halen.", "The company did not act in time. We have asked others who can take it down."},
	undox.ItemRemoved:     {"De inhoud is offline. We blijven controleren of dat zo blijft.", "It is offline. We keep checking that it stays offline."},
	undox.ItemReappeared:  {"De inhoud stond weer online. We hebben opnieuw gevraagd hem weg te halen.", "It came back online. We have asked again for it to be taken down."},
	undox.ItemReferred:    {"We hebben dit doorgegeven aan de instantie die over dit soort inhoud gaat.", "We passed this on to the authority that handles this kind of content."},
	undox.ItemRejected:    {"We hebben de link bekeken, maar konden er niets mee doen.", "We looked at it and could not act on it."},
	undox.ItemClosed:      {"We zijn klaar met deze link.", "We have finished with this link."},
}

func stage(lang string, st undox.ItemStatus) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	if v, ok := stages[st]; ok {
		return v[i]
	}
	return string(st)
}

// statusPortal is the private status page behind the status link.
func (s *Server) statusPortal(w http.ResponseWriter, r *http.Request) {
	s.showStatus(w, r, http.StatusOK, "", "")
}

func (s *Server) showStatus(w http.ResponseWriter, r *http.Request, code int, done, problem string) {
	s.showStatusForm(w, r, code, done, problem, addForm{})
}

// showStatusForm shows the status page with a message (done) or a problem
// (keys of messages), and the form that adds links as it was sent.
func (s *Server) showStatusForm(w http.ResponseWriter, r *http.Request, code int, done, problem string, add addForm) {
	c, err := s.victimCase(r)
	lang := pageLanguage(r, "")
	if err == nil && r.URL.Query().Get("lang") == "" {
		lang = c.Language
		if lang != "nl" && lang != "en" {
			lang = "nl"
		}
	}
	p := statusPageData{Here: intake.StatusPath(r.PathValue("token")), Lang: lang, Other: otherLanguage(lang), T: tr(lang), QuickExit: s.quickExit(), Help: s.HelpLinks}
	if err != nil {
		p.Gone = true
		code = http.StatusNotFound
		if undox.ErrorCode(err) != undox.ENOTFOUND {
			s.log.Error("status page", "err", err)
			code, p.Gone, p.Problem = http.StatusInternalServerError, false, p.T["status_error"]
		}
		s.render(w, code, "status.html", p)
		return
	}
	p.Token = r.PathValue("token")
	p.CSRF = s.statusFormToken(p.Token)
	p.Ref, p.Received = c.Ref, formatDate(lang, c.CreatedAt)
	p.Done, p.Problem = p.T[done], p.T[problem]
	for _, it := range c.Items {
		p.Items = append(p.Items, statusItem{URL: it.URL, Stage: stage(lang, it.Status), Expect: expectation(p.T, lang, it)})
	}
	p.Timeline = append(p.Timeline, statusEntry{When: formatDate(lang, c.CreatedAt), Text: p.T["timeline_start"]})
	entries, err := s.Store.Timeline(r.Context(), c.Ref)
	if err != nil {
		s.log.Error("status page timeline", "err", err)
	}
	for _, e := range entries {
		text := e.Text
		// In the other language when the victim switched; a closing's
		// text depends on whether the case or an item closed, so it stays.
		if t := undox.TimelineText(lang, e.Milestone); lang != e.Language && t != "" && e.Milestone != undox.MilestoneClosed {
			text = t
		}
		p.Timeline = append(p.Timeline, statusEntry{When: formatDate(lang, e.CreatedAt), Text: text})
	}
	switch c.Status {
	case undox.CaseWithdrawn, undox.CaseErased:
		p.Next = p.T["next_withdrawn"]
	case undox.CaseClosed:
		p.Next = p.T["next_closed"]
	default:
		p.Next = s.nextSteps(p.T, c)
	}
	p.CanWithdraw = c.Status != undox.CaseWithdrawn && c.Status != undox.CaseErased
	p.CanAdd, p.Closed = c.Status == undox.CaseOpen, c.Status == undox.CaseClosed
	p.AddURLs = add.urls
	if add.err != nil {
		errs := map[string]string{}
		fieldErrors(p.T, errs, add.err, add.lines)
		p.AddError = errs["urls"]
		if p.AddError == "" {
			p.AddError = p.T["form_errors"]
		}
	}
	// A withdrawn case is erased at once by retention: no request needed.
	p.CanErase = c.Status == undox.CaseOpen || c.Status == undox.CaseClosed
	switch er, err := s.Store.ErasureRequestOf(r.Context(), c.Ref); {
	case err == nil:
		p.CanErase = false
		p.Erasure = fmt.Sprintf(p.T["erase_requested"], formatDay(lang, er.RequestedAt), formatDay(lang, er.Deadline))
	case undox.ErrorCode(err) != undox.ENOTFOUND:
		s.log.Error("status page erasure request", "err", err)
		p.CanErase = false
	}
	s.render(w, code, "status.html", p)
}

// nextSteps says what happens next in an open case, by the takedown
// policy's rules for it: content that is referred, not notified, or the
// time an intermediary gets to remove it (12 hours for a minor, by
// default, and 24 not counting weekends and holidays for an adult).
func (s *Server) nextSteps(t map[string]string, c *undox.Case) string {
	handling := c.Handling
	if handling == "" {
		handling = c.Category
	}
	rules := s.policy().For(handling, c.IsMinor)
	referred := len(c.Items) > 0
	for _, it := range c.Items {
		referred = referred && it.Status == undox.ItemReferred
	}
	if rules.ReferralOnly || referred {
		return t["next_referral"]
	}
	h := rules.DeadlineHours
	within := fmt.Sprintf(t["deadline_hours"], h)
	if h >= 48 && h%24 == 0 {
		within = fmt.Sprintf(t["deadline_days"], h/24)
	}
	weekend, holiday := slices.Contains(rules.DeadlinePauseOn, policy.PauseWeekend), slices.Contains(rules.DeadlinePauseOn, policy.PauseHoliday)
	switch {
	case weekend && holiday:
		within = fmt.Sprintf(t["deadline_paused"], within)
	case weekend:
		within = fmt.Sprintf(t["deadline_weekend"], within)
	case holiday:
		within = fmt.Sprintf(t["deadline_holiday"], within)
	}
	if c.IsMinor {
		return fmt.Sprintf(t["next_open_minor"], within)
	}
	return fmt.Sprintf(t["next_open"], within)
}

// statusForm reads a form of the status page: it answers (and returns
// false) when the link names no case or the form was forged.
func (s *Server) statusForm(w http.ResponseWriter, r *http.Request) (*undox.Case, bool) {
	r.Body = http.MaxBytesReader(unwrapWriter(w), r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showStatus(w, r, http.StatusBadRequest, "", "form_errors")
		return nil, false
	}
	c, err := s.victimCase(r)
	if err != nil {
		s.showStatus(w, r, http.StatusOK, "", "") // the page says the link does not work
		return nil, false
	}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.statusFormToken(r.PathValue("token")))) || !sameOrigin(r) {
		s.showStatusForm(w, r, http.StatusForbidden, "", "err_csrf", addForm{urls: r.PostForm.Get("urls")})
		return nil, false
	}
	return c, true
}

// addURLsPost adds links to the case from the status page's form, checked
// as the report form's are; on errors the form keeps what was typed.
func (s *Server) addURLsPost(w http.ResponseWriter, r *http.Request) {
	c, ok := s.statusForm(w, r)
	if !ok {
		return
	}
	form := addForm{urls: r.PostForm.Get("urls")}
	urls, lines := splitURLs(form.urls)
	if _, err := intake.Validate(undox.Report{URLs: urls}); err != nil {
		form.err, form.lines = err, lines
		s.showStatusForm(w, r, http.StatusBadRequest, "", "form_errors", form)
		return
	}
	if s.overLimit(w, r) {
		s.showStatusForm(w, r, http.StatusTooManyRequests, "", "err_rate", form)
		return
	}
	n, err := s.Intake.AddURLs(r.Context(), undox.Public, c.Ref, urls)
	switch {
	case err == nil && n == 0:
		s.showStatus(w, r, http.StatusOK, "add_none", "")
	case err == nil:
		s.showStatus(w, r, http.StatusOK, "add_done", "")
	case undox.ErrorCode(err) == undox.EINVALID:
		form.err, form.lines = err, lines
		s.showStatusForm(w, r, http.StatusBadRequest, "", "form_errors", form)
	case undox.ErrorCode(err) == undox.ETRANSITION:
		s.showStatus(w, r, http.StatusConflict, "", "err_add_now")
	default:
		s.log.Error("adding links from the status page", "err", err)
		s.showStatusForm(w, r, http.StatusInternalServerError, "", "status_error", form)
	}
}

// addURLsAPI adds links to the case of a status link: the JSON
// equivalent of the status page's form.
func (s *Server) addURLsAPI(w http.ResponseWriter, r *http.Request) {
	c, err := s.victimCase(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		URLs []string `json:"urls"`
	}
	if _, ok := s.publicJSON(w, r, "requests", &in); !ok {
		return
	}
	if _, err := s.Intake.AddURLs(r.Context(), undox.Public, c.Ref, in.URLs); err != nil {
		s.fail(w, r, err)
		return
	}
	if c, err = s.victimCase(r); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toVictimView(c))
}

// erasurePost queues the reporter's request that the case's data be
// erased; asking again shows the first request.
func (s *Server) erasurePost(w http.ResponseWriter, r *http.Request) {
	c, ok := s.statusForm(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.showStatus(w, r, http.StatusBadRequest, "", "err_erase")
		return
	}
	_, created, err := s.Store.RequestErasure(r.Context(), undox.Public, c.Ref)
	switch {
	case err == nil && created:
		s.showStatus(w, r, http.StatusOK, "erase_done", "")
	case err == nil:
		s.showStatus(w, r, http.StatusOK, "erase_again", "")
	default:
		s.log.Error("an erasure request from the status page", "err", err)
		s.showStatus(w, r, http.StatusInternalServerError, "", "status_error")
	}
}

// withdrawPost withdraws the case from the status page's form.
func (s *Server) withdrawPost(w http.ResponseWriter, r *http.Request) {
	c, ok := s.statusForm(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.showStatus(w, r, http.StatusBadRequest, "", "err_withdraw")
		return
	}
	_, err := s.Store.CaseEvent(r.Context(), undox.Public, c.Ref, undox.ActionWithdraw, "")
	switch {
	case err == nil:
		s.showStatus(w, r, http.StatusOK, "withdraw_done", "")
	case undox.ErrorCode(err) == undox.ETRANSITION:
		s.showStatus(w, r, http.StatusConflict, "", "err_withdraw_now")
	default:
		s.log.Error("withdrawing from the status page", "err", err)
		s.showStatus(w, r, http.StatusInternalServerError, "", "status_error")
	}
}
