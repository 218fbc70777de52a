package screening

import "unicode/utf8"

// jaroWinkler returns the Jaro-Winkler similarity of two words (prefix scale
// 0.1, common prefix up to 4).
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if isASCII(a) && isASCII(b) {
		return jw([]byte(a), []byte(b))
	}
	return jw([]rune(a), []rune(b))
}

func jw[E byte | rune](a, b []E) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) == 0 {
		return 0
	}
	window := max(len(b)/2-1, 0)
	var fa, fb [64]bool
	ma, mb := fa[:], fb[:]
	if len(b) > len(fb) {
		ma, mb = make([]bool, len(a)), make([]bool, len(b))
	}
	m := 0
	for i := range a {
		lo, hi := max(i-window, 0), min(i+window+1, len(b))
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, j := 0, 0
	for i := range a {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			t++
		}
		j++
	}
	fm := float64(m)
	jaro := (fm/float64(len(a)) + fm/float64(len(b)) + (fm-float64(t)/2)/fm) / 3
	p := 0
	for p < min(4, len(a)) && a[p] == b[p] {
		p++
	}
	return jaro + float64(p)*0.1*(1-jaro)
}

// oneEdit reports whether two different words, both fuzzyWord, are one
// edit apart: a rune inserted, deleted or substituted, or two adjacent runes
// swapped.
func oneEdit(a, b string) bool {
	if a == b || !fuzzyWord(a) || !fuzzyWord(b) {
		return false
	}
	if isASCII(a) && isASCII(b) {
		return edit1([]byte(a), []byte(b))
	}
	return edit1([]rune(a), []rune(b))
}

func edit1[E byte | rune](a, b []E) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) < minFuzzyRunes || len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) < len(b) { // b has one rune more: skip it
		return equal(a[i:], b[i+1:])
	}
	if i == len(a) {
		return false // equal
	}
	if equal(a[i+1:], b[i+1:]) { // substitution
		return true
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && equal(a[i+2:], b[i+2:])
}

func equal[E byte | rune](a, b []E) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
