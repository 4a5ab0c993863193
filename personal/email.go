package personal

import "strings"

// Top-level domains accepted after an at-sign spelled as the plain word
// "at" ("jan at voorbeeld dot nl"), where anything else would be prose.
var plainTLDs = map[string]bool{
	"nl": true, "be": true, "com": true, "org": true, "net": true, "eu": true, "de": true, "fr": true,
	"uk": true, "io": true, "info": true, "me": true, "co": true, "edu": true, "gov": true, "nu": true,
	"biz": true, "tv": true, "email": true, "online": true, "app": true, "dev": true, "ch": true,
	"es": true, "it": true, "pl": true, "se": true, "dk": true, "no": true, "fi": true, "us": true,
	"ca": true, "au": true, "at": true, "lu": true, "ie": true, "pt": true, "cz": true, "xyz": true,
}

// dotMarker returns the width of a dot between domain labels at p: ".",
// "[dot]", " (dot) ", " dot ", " punt "…, or 0.
func dotMarker(s string, p int) int {
	if at(s, p) == '.' {
		if isAlnum(at(s, p+1)) {
			return 1
		}
		return 0
	}
	w := hspace(s, p)
	if b := max(bracketWord(s, p+w, "dot"), bracketWord(s, p+w, "punt"), bracketWord(s, p+w, ".")); b > 0 {
		return w + b + hspace(s, p+w+b)
	}
	if w == 0 {
		return 0
	}
	for _, m := range [...]string{"dot", "punt"} {
		if hasPrefixFold(s, p+w, m) {
			if v := hspace(s, p+w+len(m)); v > 0 {
				return w + len(m) + v
			}
		}
	}
	return 0
}

// email around the at-sign that occupies s[from:to] ("@", " [at] ",
// " at "…): the local part before it, the domain after it, whose dots may
// be spelled too. The value is the plain address in lower case.
func email(s string, from, to int) (Finding, bool) {
	ls := from
	for ls > 0 && from-ls <= 64 && (isAlnum(s[ls-1]) || class[s[ls-1]]&cLocal != 0) {
		ls--
	}
	for ls < from && (s[ls] == '.' || s[ls] == '-' || s[ls] == '+') {
		ls++
	}
	if ls == from || from-ls > 64 || s[from-1] == '.' || wordBefore(s, ls) {
		return Finding{}, false
	}
	plain := s[from] != '@' && at(s, from+hspace(s, from)) != '(' && at(s, from+hspace(s, from)) != '[' && at(s, from+hspace(s, from)) != '{'
	var labels [8][2]int
	n, j, end := 0, to, 0
	for n < len(labels) {
		le := j
		for le < len(s) && (isAlnum(s[le]) || s[le] == '-') && le-j < 64 {
			le++
		}
		if le == j || s[j] == '-' || s[le-1] == '-' || le-j > 63 {
			break
		}
		labels[n] = [2]int{j, le}
		n++
		end = le
		m := dotMarker(s, le)
		if m == 0 || !isAlnum(at(s, le+m)) {
			break
		}
		j = le + m
	}
	if n < 2 {
		return Finding{}, false
	}
	tld := s[labels[n-1][0]:labels[n-1][1]]
	if len(tld) < 2 || !allAlpha(tld) || wordAt(s, end) {
		return Finding{}, false
	}
	if plain && !plainTLDs[strings.ToLower(tld)] {
		return Finding{}, false
	}
	var b strings.Builder
	b.Grow(end - ls)
	for k := ls; k < from; k++ {
		b.WriteByte(toLower(s[k]))
	}
	b.WriteByte('@')
	for k := 0; k < n; k++ {
		if k > 0 {
			b.WriteByte('.')
		}
		for p := labels[k][0]; p < labels[k][1]; p++ {
			b.WriteByte(toLower(s[p]))
		}
	}
	v := b.String()
	return Finding{Type: TypeEmail, Start: ls, End: end, Value: v, Valid: ValidEmail(v)}, true
}

func allAlpha(w string) bool {
	for k := 0; k < len(w); k++ {
		if !isAlpha(w[k]) {
			return false
		}
	}
	return w != ""
}

// ValidEmail reports whether s is a plain e-mail address: a local part of
// letters, digits and ._%+- (no leading, trailing or double dot), '@', and
// a domain of at least two labels with an alphabetic top-level domain.
func ValidEmail(s string) bool {
	a := strings.IndexByte(s, '@')
	if a <= 0 || a > 64 || strings.IndexByte(s[a+1:], '@') >= 0 {
		return false
	}
	local, domain := s[:a], s[a+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for k := 0; k < len(local); k++ {
		if !isAlnum(local[k]) && class[local[k]]&cLocal == 0 {
			return false
		}
	}
	return validDomain(domain)
}

func validDomain(domain string) bool {
	if len(domain) > 253 {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for k := 0; k < len(l); k++ {
			if !isAlnum(l[k]) && l[k] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && allAlpha(tld)
}

// CSS at-rules that extracted text sometimes still holds.
var notHandles = map[string]bool{"media": true, "import": true, "keyframes": true, "charset": true, "supports": true, "page": true, "font": true}

// handle after the '@' at i, not glued to a word before: "@jansen", or a
// fediverse "@jan@mastodon.social".
func handle(s string, i int) (Finding, bool) {
	if wordBefore(s, i) || (i > 0 && class[s[i-1]]&cLocal != 0) {
		return Finding{}, false
	}
	j := i + 1
	letter := false
	for j < len(s) && j-i <= 31 && (isAlnum(s[j]) || s[j] == '_' || s[j] == '.') {
		if isAlpha(s[j]) || s[j] == '_' {
			letter = true
		}
		j++
	}
	for j > i+1 && s[j-1] == '.' {
		j--
	}
	if j == i+1 || !letter || j-i > 31 || wordAt(s, j) || (at(s, j) == '-' && isAlnum(at(s, j+1))) {
		return Finding{}, false
	}
	name := strings.ToLower(s[i+1 : j])
	if at(s, j) == '@' {
		// @user@instance: the domain after the second '@'.
		if f, ok := email(s, j, j+1); ok && f.Start == i+1 {
			return Finding{Type: TypeSocialHandle, Start: i, End: f.End, Value: "@" + f.Value, Valid: f.Valid, Platform: "fediverse"}, true
		}
		return Finding{}, false
	}
	if notHandles[name] {
		return Finding{}, false
	}
	return Finding{Type: TypeSocialHandle, Start: i, End: j, Value: "@" + name, Valid: ValidHandle("@" + name), Platform: platformHint(s, i, j)}, true
}

// ValidHandle reports whether s is "@" and 1–30 letters, digits, '_' or
// '.', with a letter or '_'; "u/name" (reddit); or "@user@domain".
func ValidHandle(s string) bool {
	if strings.HasPrefix(s, "u/") {
		return validName(s[2:], "_-", 3, 20)
	}
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	h := s[1:]
	if a := strings.IndexByte(h, '@'); a >= 0 {
		return validName(h[:a], "_.-", 1, 64) && validDomain(h[a+1:])
	}
	if !validName(h, "_.", 1, 30) {
		return false
	}
	return strings.IndexFunc(h, func(r rune) bool { return r == '_' || (r < 128 && isAlpha(byte(r))) }) >= 0
}

// validName reports whether n has min–max ASCII letters, digits and
// characters of extra.
func validName(n, extra string, min, max int) bool {
	if len(n) < min || len(n) > max {
		return false
	}
	for k := 0; k < len(n); k++ {
		if !isAlnum(n[k]) && strings.IndexByte(extra, n[k]) < 0 {
			return false
		}
	}
	return true
}

// Words that name a platform, and the platform.
var platformWords = [...][2]string{
	{"instagram", "instagram"}, {"insta", "instagram"}, {"tiktok", "tiktok"}, {"twitter", "x"},
	{"snapchat", "snapchat"}, {"snap", "snapchat"}, {"telegram", "telegram"}, {"youtube", "youtube"},
	{"twitch", "twitch"}, {"threads", "threads"}, {"bluesky", "bluesky"}, {"discord", "discord"},
	{"reddit", "reddit"}, {"github", "github"}, {"facebook", "facebook"}, {"linkedin", "linkedin"},
	{"mastodon", "fediverse"},
}

// platformHint returns the platform named nearest to s[i:j] within 60
// bytes on the same line, or "".
func platformHint(s string, i, j int) string {
	from := lineWindowBefore(s, i, 60)
	to := min(len(s), j+60)
	for k := j; k < to; k++ {
		if s[k] == '\n' || s[k] == '\r' {
			to = k
			break
		}
	}
	best, dist := "", len(s)+1
	for k := from; k < to; k++ {
		c := toLower(s[k])
		if c != 'i' && c != 't' && c != 's' && c != 'y' && c != 'b' && c != 'd' && c != 'r' && c != 'g' && c != 'f' && c != 'l' && c != 'm' {
			continue
		}
		if k >= i && k < j || wordBefore(s, k) {
			continue
		}
		for _, pw := range platformWords {
			if hasPrefixFold(s, k, pw[0]) {
				d := i - k
				if k >= j {
					d = k - j
				}
				if d < dist {
					best, dist = pw[1], d
				}
				break
			}
		}
	}
	return best
}
