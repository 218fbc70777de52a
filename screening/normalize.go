package screening

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize returns the canonical form of a party name used for matching:
//
//   - full-width ASCII forms are narrowed and letters are lower-cased;
//   - accented Latin letters lose their accents (é -> e, ł -> l, ß -> ss,
//     æ -> ae) and combining marks are dropped; other scripts are kept as
//     they are, lower-cased;
//   - "&" becomes "and"; apostrophes and full stops are deleted without a
//     space ("Xi'an" -> "xian", "L.L.C." -> "llc"); every other character that
//     is not a letter or a digit separates words;
//   - runs of separators become one space, with none at either end;
//   - legal-form words are removed from the end ("Co., Ltd.", "Inc", "GmbH",
//     "Sdn Bhd", "JSC", ...) and from the start ("OOO", "AO", "PT", "Joint
//     Stock Company", ...), repeatedly, but never the last remaining word.
//
// Words that tell entities apart are kept: "Group", "Holding(s)",
// "International", "Technology", "Trading", places and numbers. Normalize is
// idempotent: Normalize(Normalize(s)) == Normalize(s).
func Normalize(name string) string {
	return strings.Join(normalizeTokens(name), " ")
}

// normalizeTokens is Normalize before the words are joined.
func normalizeTokens(name string) []string {
	buf := make([]byte, 0, len(name)+8)
	sep := func() {
		if n := len(buf); n > 0 && buf[n-1] != ' ' {
			buf = append(buf, ' ')
		}
	}
	for _, r := range name {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if r < utf8.RuneSelf {
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				buf = append(buf, byte(r))
			case 'A' <= r && r <= 'Z':
				buf = append(buf, byte(r)+'a'-'A')
			case r == '\'' || r == '.' || r == '`':
				// deleted: joins the letters on both sides
			case r == '&':
				sep()
				buf = append(buf, "and "...)
			default:
				sep()
			}
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			buf = append(buf, f...)
			continue
		}
		switch {
		case isApostrophe(r) || unicode.IsMark(r):
			// deleted
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			buf = utf8.AppendRune(buf, r)
		default:
			sep()
		}
	}
	toks := strings.Fields(string(buf))
	return stripLegalForms(toks)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\u2018', '\u2019', '\u00b4', '\u02bb', '\u02bc', '\u2032':
		return true
	}
	return false
}

// foldTable maps the lower-case accented Latin letters (Latin-1 Supplement,
// Latin Extended-A/B, Latin Extended Additional) to ASCII.
var foldTable = func() map[rune]string {
	m := map[rune]string{
		'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'ǽ': "ae", 'ǣ': "ae", 'œ': "oe", 'ø': "o", 'ǿ': "o",
		'đ': "d", 'ð': "d", 'þ': "th", 'ł': "l", 'ħ': "h", 'ı': "i", 'ŋ': "n", 'ĸ': "k",
		'ŀ': "l", 'ĳ': "ij", 'ǆ': "dz", 'ǅ': "dz", 'ǉ': "lj", 'ǈ': "lj", 'ǌ': "nj", 'ǋ': "nj",
		'ƒ': "f", 'ſ': "s", 'ɨ': "i", 'ʉ': "u", 'ƀ': "b", 'ƶ': "z", 'ǥ': "g",
	}
	for base, rs := range foldBases {
		for _, r := range rs {
			m[r] = base
		}
	}
	return m
}()

// foldBases lists, per ASCII letter, the precomposed lower-case letters whose
// canonical decomposition starts with it (generated from Unicode data).
var foldBases = map[string]string{
	"a": "àáâãäåāăąǎǟǡǻȁȃȧḁạảấầẩẫậắằẳẵặ",
	"b": "ḃḅḇ",
	"c": "çćĉċčḉ",
	"d": "ďḋḍḏḑḓ",
	"e": "èéêëēĕėęěȅȇȩḕḗḙḛḝẹẻẽếềểễệ",
	"f": "ḟ",
	"g": "ĝğġģǧǵḡ",
	"h": "ĥȟḣḥḧḩḫẖ",
	"i": "ìíîïĩīĭįǐȉȋḭḯỉị",
	"j": "ĵǰ",
	"k": "ķǩḱḳḵ",
	"l": "ĺļľḷḹḻḽ",
	"m": "ḿṁṃ",
	"n": "ñńņňǹṅṇṉṋ",
	"o": "òóôõöōŏőơǒǫǭȍȏȫȭȯȱṍṏṑṓọỏốồổỗộớờởỡợ",
	"p": "ṕṗ",
	"r": "ŕŗřȑȓṙṛṝṟ",
	"s": "śŝşšșṡṣṥṧṩ",
	"t": "ţťțṫṭṯṱẗ",
	"u": "ùúûüũūŭůűųưǔǖǘǚǜȕȗṳṵṷṹṻụủứừửữự",
	"v": "ṽṿ",
	"w": "ŵẁẃẅẇẉẘ",
	"x": "ẋẍ",
	"y": "ýÿŷȳẏẙỳỵỷỹ",
	"z": "źżžẑẓẕ",
}

// legalSuffixes are removed from the end of a name, legalPrefixes from its
// start. Entries are normalised word sequences; longer ones are tried first.
var (
	legalSuffixes = phraseSet(
		"co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited",
		"llc", "pllc", "plc", "pte", "pvt", "private", "gmbh", "mbh", "ag", "kg", "sa", "sas", "sarl",
		"srl", "spa", "bv", "nv", "jsc", "ojsc", "cjsc", "pjsc", "ooo", "oao", "zao", "pao",
		"llp", "lp", "sdn", "bhd", "tbk", "fze", "fzco", "fzc", "fz", "coltd", "pteltd", "sdnbhd",
		"limited liability company", "limited liability partnership", "joint stock company",
		"public company", "public limited company", "company limited",
		"s a", "s a s", "l l c", "b v", "n v", "p l c",
	)
	legalPrefixes = phraseSet(
		"ooo", "oao", "zao", "pao", "ao", "tov", "jsc", "ojsc", "cjsc", "pjsc", "pt",
		"limited liability company", "joint stock company", "open joint stock company",
		"closed joint stock company", "public joint stock company",
		"obshchestvo s ogranichennoy otvetstvennostyu", "aktsionernoe obshchestvo",
		"publichnoe aktsionernoe obshchestvo",
	)
)

type phrases struct {
	set  map[string]bool // the phrases, words joined by spaces
	ends map[string]int  // a first or last word -> the most words of a phrase it ends
	max  int
}

func phraseSet(ps ...string) phrases {
	s := phrases{set: make(map[string]bool), ends: make(map[string]int)}
	for _, p := range ps {
		w := strings.Fields(p)
		s.set[p] = true
		for _, end := range []string{w[0], w[len(w)-1]} {
			s.ends[end] = max(s.ends[end], len(w))
		}
		s.max = max(s.max, len(w))
	}
	return s
}

// match returns the number of words of the longest phrase that the first
// words (or, atEnd, the last words) of toks are, 0 if none. It never
// matches every word.
func (s phrases) match(toks []string, atEnd bool) int {
	if len(toks) < 2 {
		return 0
	}
	end := toks[0]
	if atEnd {
		end = toks[len(toks)-1]
	}
	for n := min(s.ends[end], len(toks)-1); n >= 1; n-- {
		w := toks[:n]
		if atEnd {
			w = toks[len(toks)-n:]
		}
		if n == 1 && s.set[w[0]] || n > 1 && s.set[strings.Join(w, " ")] {
			return n
		}
	}
	return 0
}

func stripLegalForms(toks []string) []string {
	for {
		n := legalSuffixes.match(toks, true)
		if n == 0 {
			break
		}
		toks = toks[:len(toks)-n]
	}
	for {
		n := legalPrefixes.match(toks, false)
		if n == 0 {
			break
		}
		toks = toks[n:]
	}
	return toks
}

// longLegalForms are the legal-form words long enough to be recognised
// when misspelt by one letter.
var longLegalForms = []string{"company", "corporation", "incorporated", "limited"}

// stripLegalTypos removes from the end of a normalised name the words that
// are not in vocab and are one edit from a word of longLegalForms, with the
// legal forms this uncovers. It returns the words left and the product of
// the Jaro-Winkler similarities of the removed words to their legal forms (1
// when none was removed). At least one word is kept.
func stripLegalTypos(toks []string, vocab map[string]int32) ([]string, float64) {
	sim := 1.0
	for len(toks) > 1 {
		last := toks[len(toks)-1]
		if _, known := vocab[last]; known {
			break
		}
		best := 0.0
		for _, f := range longLegalForms {
			if oneEdit(last, f) {
				best = max(best, jaroWinkler(last, f))
			}
		}
		if best == 0 {
			break
		}
		sim *= best
		toks = stripLegalForms(toks[:len(toks)-1])
	}
	return toks, sim
}
