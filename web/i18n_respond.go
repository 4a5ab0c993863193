package web

// The strings of the provider response page (respond_…), the page behind
// a notice's private link, each in Dutch and English; init adds them to
// the catalog (messages). A string with verbs (%s, %d) has the same verbs
// in both languages.

var respondMessages = map[string][2]string{ // [nl, en]
	"respond_title":        {"Reageren op een verwijderverzoek", "Answer a takedown notice"},
	"respond_intro":        {"U kreeg van ons een verwijderverzoek (een melding volgens art. 16 van de Digital Services Act). Hieronder staat waar het over gaat. Laat ons met het formulier weten wat u ermee deed; een analist van het meldpunt leest uw antwoord.", "You received a takedown notice from us (a notice under art. 16 of the Digital Services Act). Below is what it is about. Use the form to tell us what you did; an analyst of the hotline reads your answer."},
	"respond_private":      {"Deze pagina hoort bij uw melding. Deel de link alleen met wie het verzoek behandelt.", "This page belongs to your notice. Share its link only with whoever handles the notice."},
	"respond_about":        {"Waar het verzoek over gaat", "What the notice is about"},
	"respond_recipient":    {"Aan", "To"},
	"respond_urls":         {"De inhoud op", "The content at"},
	"respond_urls_hint":    {"Als tekst getoond, niet als link: open de inhoud alleen als dat voor uw beoordeling nodig is.", "Shown as text, not as a link: open the content only if your assessment needs it."},
	"respond_category":     {"Soort inhoud", "Kind of content"},
	"respond_legal_basis":  {"Wettelijke grondslag", "Legal basis"},
	"respond_exposed":      {"Welke gegevens de pagina toont", "What data the page exposes"},
	"respond_exposed_none": {"Het verzoek noemt geen soorten persoonsgegevens; de inhoud zelf is de reden.", "The notice names no kinds of personal data; the content itself is the reason."},
	"respond_exposed_note": {"We noemen alleen de soort gegevens, nooit de gegevens zelf of de persoon om wie het gaat.", "We name only the kind of data, never the data itself or the person concerned."},
	"respond_minor":        {"Het gaat om een minderjarige.", "A minor is concerned."},
	"respond_sent":         {"Verstuurd op", "Sent on"},
	"respond_deadline":     {"Graag gedaan vóór", "Please act before"},

	"respond_answer_title":  {"Uw antwoord", "Your answer"},
	"respond_kind_legend":   {"Wat heeft u gedaan?", "What have you done?"},
	"respond_removed":       {"De inhoud is verwijderd.", "The content is removed."},
	"respond_removed_hint":  {"We controleren daarna zelf of de pagina echt weg is.", "We then check for ourselves that the page is gone."},
	"respond_will_remove":   {"We verwijderen de inhoud uiterlijk op een datum.", "We will remove the content by a date."},
	"respond_until_label":   {"Datum waarop de inhoud weg is (alleen bij deze keuze)", "Date by which the content is removed (only with this choice)"},
	"respond_disputed":      {"We betwisten het verzoek.", "We dispute the notice."},
	"respond_disputed_hint": {"Geef hieronder de reden.", "Give the reason below."},
	"respond_not_customer":  {"Dit is niet onze klant.", "This is not our customer."},
	"respond_other_label":   {"Wie host de inhoud dan? (alleen bij deze keuze)", "Who hosts the content then? (only with this choice)"},
	"respond_detail_label":  {"Reden of opmerkingen", "Reason or remarks"},
	"respond_detail_hint":   {"Nodig als u het verzoek betwist. Hoogstens 4000 tekens.", "Needed if you dispute the notice. At most 4000 characters."},
	"respond_submit":        {"Antwoord versturen", "Send the answer"},
	"respond_done":          {"Dank u. Uw antwoord is vastgelegd.", "Thank you. Your answer was recorded."},
	"respond_done_removed":  {"We controleren binnenkort of de pagina offline is.", "We will soon check that the page is offline."},
	"respond_done_other":    {"Een analist van het meldpunt bekijkt uw antwoord.", "An analyst of the hotline will look at your answer."},
	"respond_earlier":       {"Antwoorden tot nu toe", "Answers so far"},
	"respond_answer_web":    {"via deze pagina", "on this page"},
	"respond_answer_email":  {"per e-mail", "by e-mail"},
	"respond_answer_until":  {"uiterlijk %s", "by %s"},
	"respond_answer_other":  {"Host volgens u: %s", "Host, as you say: %s"},
	"respond_answer_detail": {"Uw toelichting", "Your remarks"},
	"respond_notice_text":   {"Het verzoek zoals we het stuurden", "The notice as we sent it"},
	"respond_contact":       {"Vragen? Neem contact op met de melder die in het verzoek staat.", "Questions? Contact the notifier named in the notice."},

	"respond_kind_removed":          {"verwijderd", "removed"},
	"respond_kind_will_remove":      {"wordt verwijderd", "will be removed"},
	"respond_kind_disputed":         {"betwist", "disputed"},
	"respond_kind_not_our_customer": {"niet onze klant", "not our customer"},
	"respond_kind_reply":            {"antwoord", "reply"},
	"respond_kind_bounce":           {"niet afgeleverd", "not delivered"},
	"respond_kind_auto_reply":       {"automatisch antwoord", "automatic reply"},

	"respond_cat_unassessed":        {"Nog te beoordelen", "To be assessed"},
	"respond_cat_doxing":            {"Doxing (persoonsgegevens online gezet om iemand te intimideren)", "Doxing (personal data put online to intimidate someone)"},
	"respond_cat_threat":            {"Bedreiging", "Threats"},
	"respond_cat_extortion":         {"Afpersing", "Extortion"},
	"respond_cat_sextortion":        {"Sextortion (afpersing met seksueel beeldmateriaal)", "Sextortion (extortion with sexual images)"},
	"respond_cat_intimate_images":   {"Seksueel beeldmateriaal zonder toestemming", "Non-consensual intimate images"},
	"respond_cat_harassment":        {"Belaging", "Harassment or stalking"},
	"respond_cat_csam":              {"Seksueel misbruik van kinderen", "Child sexual abuse material"},
	"respond_cat_terrorist_content": {"Terroristische inhoud", "Terrorist content"},

	"respond_pd_address":       {"woonadres", "home address"},
	"respond_pd_phone":         {"telefoonnummer", "phone number"},
	"respond_pd_email":         {"e-mailadres", "e-mail address"},
	"respond_pd_id_number":     {"identificatienummer (BSN of identiteitsbewijs)", "ID number (citizen service number or ID document)"},
	"respond_pd_financial":     {"bank- of betaalkaartnummer", "bank account or payment card number"},
	"respond_pd_birth_date":    {"geboortedatum of leeftijd", "date of birth or age"},
	"respond_pd_licence_plate": {"kenteken", "licence plate"},
	"respond_pd_ip":            {"IP-adres", "IP address"},
	"respond_pd_social":        {"socialemedia-accounts", "social media accounts"},
	"respond_pd_images":        {"intiem beeldmateriaal", "intimate images"},
	"respond_pd_other":         {"andere persoonsgegevens", "other personal data"},

	"respond_gone_title":  {"Deze link werkt niet", "This link does not work"},
	"respond_gone_text":   {"De link is misschien niet goed gekopieerd of verlopen. Beantwoord het verzoek dan per e-mail.", "The link may have been copied wrongly, or it expired. Please answer the notice by e-mail."},
	"respond_err_form":    {"Het formulier kon niet worden gelezen. Probeer het opnieuw.", "The form could not be read. Please try again."},
	"respond_err_csrf":    {"Dit antwoord kwam niet van deze pagina. Gebruik het formulier hieronder.", "This answer was not sent from this page. Please use the form below."},
	"respond_err_invalid": {"Het antwoord is niet compleet. Kijk hieronder wat er anders moet; wat u invulde staat er nog.", "The answer is not complete. See below what to change; everything you typed is still there."},
	"respond_err_kind":    {"Kies wat u gedaan heeft.", "Choose what you have done."},
	"respond_err_until":   {"Geef een datum van vandaag tot een jaar vanaf nu.", "Give a date from today to a year from now."},
	"respond_err_detail":  {"Geef de reden waarom u het verzoek betwist (hoogstens 4000 tekens).", "Give the reason why you dispute the notice (at most 4000 characters)."},
	"respond_err_other":   {"Zeg wie de inhoud host, als u dat weet (hoogstens 500 tekens).", "Say who hosts the content, if you know (at most 500 characters)."},
	"respond_err_now":     {"Op dit verzoek kan nu niet worden geantwoord. Probeer het later opnieuw of antwoord per e-mail.", "This notice cannot be answered now. Please try again later or reply by e-mail."},
	"respond_err_many": {"Dit verzoek is het afgelopen uur al vaak beantwoord. Probeer het later opnieuw, of neem contact op met de melder die in het verzoek staat.",
		"This notice was answered many times in the last hour. Please try again later, or contact the notifier named in the notice."},
	"respond_err_internal": {"Er ging bij ons iets mis; uw antwoord is niet vastgelegd. Probeer het later opnieuw.", "Something went wrong on our side; your answer was not recorded. Please try again later."},
}

func init() {
	for k, v := range respondMessages {
		if _, dup := messages[k]; dup {
			panic("web: message " + k + " is defined twice")
		}
		messages[k] = v
	}
}
