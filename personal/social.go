package personal

import (
	"net/netip"
	"strings"
)

// urlAt looks at the URL around the '/' at i. It returns the findings in
// it (a profile URL, the phone number of a wa.me link, an IP address as
// host) and the end of the URL, after which scanning goes on: nothing else
// inside a URL is reported.
func urlAt(s string, i int, region string) ([]Finding, int) {
	var us, hs, he int
	if at(s, i-1) == ':' && at(s, i+1) == '/' {
		ss := i - 1
		for ss > 0 && ss > i-12 && isAlpha(s[ss-1]) {
			ss--
		}
		if ss == i-1 || wordBefore(s, ss) {
			return nil, i + 2
		}
		us, hs = ss, i+2
		he = hs
		for he < len(s) && (isAlnum(s[he]) || s[he] == '.' || s[he] == '-' || s[he] == '[' || s[he] == ']' || s[he] == ':' || s[he] == '@' || s[he] == '_') {
			he++
		}
		if a := strings.LastIndexByte(s[hs:he], '@'); a >= 0 {
			hs += a + 1 // user info
		}
	} else {
		he = i
		hs = i
		for hs > 0 && i-hs < 256 && (isAlnum(s[hs-1]) || s[hs-1] == '.' || s[hs-1] == '-') {
			hs--
		}
		if hs == he {
			return nil, i + 1
		}
		if he-hs == 1 && (s[hs] == 'u' || s[hs] == 'U') && !wordBefore(s, hs) && at(s, hs-1) != '.' {
			if f, ok := redditShort(s, hs, i); ok {
				return []Finding{f}, f.End
			}
			return nil, i + 1
		}
		if strings.IndexByte(s[hs:he], '.') < 0 || wordBefore(s, hs) || at(s, hs-1) == '@' {
			return nil, i + 1
		}
		us = hs
	}
	ue := he
	for ue < len(s) && class[s[ue]]&cURL != 0 {
		ue++
	}
	for ue > he && strings.IndexByte(".,;:!?)]*'", s[ue-1]) >= 0 {
		if s[ue-1] == ')' && strings.Count(s[he:ue], "(") >= strings.Count(s[he:ue], ")") {
			break
		}
		ue--
	}
	host := strings.ToLower(s[hs:he])
	if p := strings.LastIndexByte(host, ':'); p >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:p] // port
	}
	host = strings.TrimSuffix(host, ".")
	var out []Finding
	st, ipText := hs, s[hs:he]
	if strings.HasPrefix(ipText, "[") {
		if e := strings.IndexByte(ipText, ']'); e > 0 {
			st, ipText = hs+1, ipText[1:e]
		}
	} else if p := strings.IndexByte(ipText, ':'); p >= 0 && strings.Count(ipText, ":") == 1 {
		ipText = ipText[:p]
	}
	if a, err := netip.ParseAddr(ipText); err == nil {
		return []Finding{{Type: TypeIP, Start: st, End: st + len(ipText), Value: a.String(), Valid: true}}, ue
	}
	if f, ok := profile(s, us, he, ue, host, region); ok {
		out = append(out, f)
	}
	return out, ue
}

// redditShort: "u/name" (or "/u/name") at hs, the '/' at i.
func redditShort(s string, hs, i int) (Finding, bool) {
	e := i + 1
	for e < len(s) && (isAlnum(s[e]) || s[e] == '_' || s[e] == '-') {
		e++
	}
	name := s[i+1 : e]
	if !validName(name, "_-", 3, 20) || wordAt(s, e) || at(s, e) == '/' {
		return Finding{}, false
	}
	st := hs
	if at(s, hs-1) == '/' {
		st--
	}
	return Finding{Type: TypeSocialHandle, Start: st, End: e, Value: "u/" + strings.ToLower(name), Valid: true, Platform: "reddit"}, true
}

// Host names of the platforms, without "www." and the like.
var platformHosts = map[string]string{
	"instagram.com": "instagram", "instagr.am": "instagram", "tiktok.com": "tiktok",
	"twitter.com": "x", "x.com": "x", "facebook.com": "facebook", "fb.com": "facebook",
	"snapchat.com": "snapchat", "youtube.com": "youtube", "linkedin.com": "linkedin",
	"t.me": "telegram", "telegram.me": "telegram", "discord.com": "discord", "discordapp.com": "discord",
	"reddit.com": "reddit", "twitch.tv": "twitch", "github.com": "github", "threads.net": "threads",
	"threads.com": "threads", "bsky.app": "bluesky", "wa.me": "whatsapp",
}

// Canonical hosts of the normalized profile URLs.
var canonicalHost = map[string]string{
	"instagram": "instagram.com", "tiktok": "tiktok.com", "x": "x.com", "facebook": "facebook.com",
	"snapchat": "snapchat.com", "youtube": "youtube.com", "linkedin": "linkedin.com", "telegram": "t.me",
	"discord": "discord.com", "reddit": "reddit.com", "twitch": "twitch.tv", "github": "github.com",
	"threads": "threads.net", "bluesky": "bsky.app",
}

// First path segments that are not profiles.
var notProfiles = map[string]map[string]bool{
	"instagram": set("p", "reel", "reels", "tv", "explore", "accounts", "direct", "about", "legal", "developer", "web", "challenge", "tags"),
	"x":         set("i", "home", "intent", "share", "search", "hashtag", "explore", "settings", "messages", "notifications", "login", "signup", "tos", "privacy", "compose"),
	"facebook": set("groups", "pages", "events", "watch", "photo.php", "photo", "photos", "share", "sharer", "sharer.php", "login", "marketplace",
		"story.php", "permalink.php", "hashtag", "help", "policies", "reel", "videos", "gaming", "dialog", "plugins", "tr", "l.php"),
	"telegram": set("joinchat", "share", "s", "addstickers", "c", "proxy", "iv", "addlist"),
	"twitch":   set("directory", "videos", "p", "settings", "downloads", "jobs", "search", "subscriptions", "inventory", "wallet"),
	"github": set("orgs", "features", "about", "pricing", "login", "join", "settings", "marketplace", "explore", "topics", "collections",
		"trending", "sponsors", "apps", "notifications", "issues", "pulls", "search", "site", "security", "enterprise", "team",
		"customer-stories", "readme", "contact", "new", "organizations", "codespaces", "discussions"),
}

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// profile makes a social_url finding of the URL s[us:ue] whose host (lower
// case) ends at he, when it is a profile on a known platform; a wa.me link
// gives its phone number.
func profile(s string, us, he, ue int, host, region string) (Finding, bool) {
	for _, p := range [...]string{"www.", "m.", "mobile.", "web.", "old.", "new.", "mbasic.", "touch.", "vm.", "api."} {
		host = strings.TrimPrefix(host, p)
	}
	platform := platformHosts[host]
	if platform == "" {
		return Finding{}, false
	}
	path, query := s[he:ue], ""
	if q := strings.IndexByte(path, '?'); q >= 0 {
		path, query = path[:q], path[q+1:]
	}
	if h := strings.IndexByte(path, '#'); h >= 0 {
		path = path[:h]
	}
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query = query[:h]
	}
	var segs [3]string
	n := 0
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg != "" && n < len(segs) {
			segs[n] = seg
			n++
		}
	}
	if n == 0 {
		return Finding{}, false
	}
	s0, s0l := segs[0], strings.ToLower(segs[0])
	s1 := segs[1]
	lower := strings.ToLower
	value := ""
	switch platform {
	case "instagram":
		h := s0
		if s0l == "stories" {
			h = s1
		} else if notProfiles[platform][s0l] {
			break
		}
		if validName(h, "._", 1, 30) {
			value = lower(h)
		}
	case "tiktok", "threads":
		if strings.HasPrefix(s0, "@") && validName(s0[1:], "._", 1, 30) {
			value = "@" + lower(s0[1:])
		}
	case "x":
		if !notProfiles[platform][s0l] && validName(s0, "_", 1, 15) {
			value = lower(s0)
		}
	case "facebook":
		switch {
		case s0l == "profile.php":
			id := queryParam(query, "id")
			if validName(id, "", 1, 20) && allDigits(id) {
				value = "profile.php?id=" + id
			}
		case s0l == "people" && n >= 3 && allDigits(segs[2]):
			value = "profile.php?id=" + segs[2]
		case !notProfiles[platform][s0l] && validName(s0, ".", 1, 50):
			value = lower(s0)
		}
	case "snapchat":
		h := s0
		if s0l == "add" {
			h = s1
		} else if strings.HasPrefix(s0, "@") {
			h = s0[1:]
		} else {
			break
		}
		if validName(h, "._-", 1, 30) {
			value = "add/" + lower(h)
		}
	case "youtube":
		switch {
		case strings.HasPrefix(s0, "@") && validName(s0[1:], "._-", 1, 30):
			value = "@" + lower(s0[1:])
		case (s0l == "c" || s0l == "user") && validName(s1, "._-", 1, 100):
			value = s0l + "/" + lower(s1)
		case s0l == "channel" && validName(s1, "_-", 10, 40):
			value = "channel/" + s1 // channel ids are case-sensitive
		}
	case "linkedin":
		if s0l == "in" && validName(s1, "-_%", 2, 100) {
			value = "in/" + lower(s1)
		}
	case "telegram":
		if !notProfiles[platform][s0l] && validName(s0, "_", 3, 32) {
			value = lower(s0)
		}
	case "discord":
		if s0l == "users" && allDigits(s1) && len(s1) >= 15 && len(s1) <= 20 {
			value = "users/" + s1
		}
	case "reddit":
		if (s0l == "user" || s0l == "u") && validName(s1, "_-", 3, 20) {
			value = "user/" + lower(s1)
		}
	case "twitch":
		if !notProfiles[platform][s0l] && validName(s0, "_", 3, 25) {
			value = lower(s0)
		}
	case "github":
		if !notProfiles[platform][s0l] && validName(s0, "-", 1, 39) {
			value = lower(s0)
		}
	case "bluesky":
		if s0l == "profile" && validName(s1, ".-_:", 3, 253) {
			value = "profile/" + lower(s1)
		}
	case "whatsapp":
		d := s0
		if s0l == "send" {
			d = queryParam(query, "phone")
		}
		if allDigits(d) && len(d) >= 8 && len(d) <= 15 {
			if v, valid, _ := parsePhone("+"+d, region); valid {
				return Finding{Type: TypePhone, Start: us, End: ue, Value: v, Valid: true, Platform: "whatsapp"}, true
			}
		}
		return Finding{}, false
	}
	if value == "" {
		return Finding{}, false
	}
	return Finding{Type: TypeSocialURL, Start: us, End: ue, Value: "https://" + canonicalHost[platform] + "/" + value, Valid: true, Platform: platform}, true
}

func queryParam(q, name string) string {
	for _, kv := range strings.Split(q, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func allDigits(w string) bool {
	for k := 0; k < len(w); k++ {
		if !isDigit(w[k]) {
			return false
		}
	}
	return w != ""
}

// ValidSocialURL reports whether s is a normalized profile URL:
// https://, a known platform's canonical host, and a path.
func ValidSocialURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		return false
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || path == "" {
		return false
	}
	for _, h := range canonicalHost {
		if h == host {
			return true
		}
	}
	return false
}
