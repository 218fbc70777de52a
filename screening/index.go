package screening

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minFuzzyRunes is the shortest word that may match another word with one
// edit: below it one edit changes too much of the word, and short words are
// mostly acronyms ("SMIC" / "SMIT").
const minFuzzyRunes = 5

// nameRec is one name of an entry (its name or an alternate name).
type nameRec struct {
	entry  int32
	name   string  // as in the list
	toks   []int32 // distinct word ids, ascending
	weight float64 // sum of the words' weights
}

// index is what Load builds for Screen.
type index struct {
	names []nameRec
	// The three exact keys of a normalised name: as it is, without spaces,
	// and with its words sorted. Each maps to name ids.
	byNorm, bySpaceless, bySorted map[string][]int32
	// Words: id -> text, weight (inverse document frequency) and the ids of
	// the names that contain it.
	vocab    map[string]int32
	words    []string
	weight   []float64
	postings [][]int32
	// The one-edit neighbourhood of every word of minFuzzyRunes runes or
	// more: the hash of the word and of each of its one-rune deletions lead
	// (through a chain in nearNext) to the word ids in nearWord.
	nearHead map[uint64]int32
	nearNext []int32
	nearWord []int32
	// byStem maps the stem of every word that has one (see stem) to the
	// words with that stem.
	byStem map[string][]int32
	// unknownWeight is the weight of a query word that is in no name.
	unknownWeight float64
	// maxDF: words in more names than this are too common to find fuzzy
	// candidates with (they still count in the score).
	maxDF int
}

type indexBuilder struct {
	ix  index
	tok []string // scratch
}

func newIndexBuilder() *indexBuilder {
	return &indexBuilder{ix: index{
		byNorm:      make(map[string][]int32),
		bySpaceless: make(map[string][]int32),
		bySorted:    make(map[string][]int32),
		vocab:       make(map[string]int32),
	}}
}

// add indexes the names of entry e (number i). It reports false when the
// entry's name normalises to nothing; alternate names that do are skipped.
func (b *indexBuilder) add(i int32, e *Entry) bool {
	first := len(b.ix.names)
	if !b.addName(i, e.Name, first) {
		return false
	}
	for _, alt := range e.AltNames {
		b.addName(i, alt, first)
	}
	return true
}

func (b *indexBuilder) addName(entry int32, name string, first int) bool {
	toks := normalizeTokens(name)
	if len(toks) == 0 {
		return false
	}
	norm := strings.Join(toks, " ")
	for _, id := range b.ix.byNorm[norm] { // the same name twice in one entry
		if int(id) >= first {
			return true
		}
	}
	id := int32(len(b.ix.names))
	spaceless, sorted := secondaryKeys(toks, norm)
	b.ix.byNorm[norm] = append(b.ix.byNorm[norm], id)
	if spaceless != norm {
		b.ix.bySpaceless[spaceless] = append(b.ix.bySpaceless[spaceless], id)
	}
	b.ix.bySorted[sorted] = append(b.ix.bySorted[sorted], id)

	ids := make([]int32, 0, len(toks))
	for _, t := range toks {
		w, ok := b.ix.vocab[t]
		if !ok {
			w = int32(len(b.ix.words))
			b.ix.vocab[t] = w
			b.ix.words = append(b.ix.words, t)
			b.ix.postings = append(b.ix.postings, nil)
		}
		if !slices.Contains(ids, w) {
			ids = append(ids, w)
			b.ix.postings[w] = append(b.ix.postings[w], id)
		}
	}
	slices.Sort(ids)
	b.ix.names = append(b.ix.names, nameRec{entry: entry, name: name, toks: ids})
	return true
}

// secondaryKeys returns a normalised name without spaces and with its words
// sorted.
func secondaryKeys(toks []string, norm string) (spaceless, sorted string) {
	spaceless = strings.ReplaceAll(norm, " ", "")
	if len(toks) < 2 || slices.IsSorted(toks) {
		return spaceless, norm
	}
	s := slices.Clone(toks)
	slices.Sort(s)
	return spaceless, strings.Join(s, " ")
}

func (b *indexBuilder) build() index {
	ix := b.ix
	n := float64(len(ix.names))
	ix.weight = make([]float64, len(ix.words))
	for w, p := range ix.postings {
		ix.weight[w] = idf(n, len(p))
	}
	ix.unknownWeight = idf(n, 1)
	for i := range ix.names {
		for _, w := range ix.names[i].toks {
			ix.names[i].weight += ix.weight[w]
		}
	}
	ix.maxDF = max(1000, len(ix.names)/20)

	ix.byStem = make(map[string][]int32)
	for w, word := range ix.words {
		if st, ok := stem(word); ok {
			ix.byStem[st] = append(ix.byStem[st], int32(w))
		}
	}
	ix.nearHead = make(map[uint64]int32, len(ix.words)*8)
	ix.nearNext = make([]int32, 0, len(ix.words)*8)
	ix.nearWord = make([]int32, 0, len(ix.words)*8)
	for w, word := range ix.words {
		forNeighbourhood(word, func(h uint64) {
			head, ok := ix.nearHead[h]
			if !ok {
				head = -1
			}
			ix.nearHead[h] = int32(len(ix.nearWord))
			ix.nearNext = append(ix.nearNext, head)
			ix.nearWord = append(ix.nearWord, int32(w))
		})
	}
	return ix
}

// idf is the weight of a word found in df of n names: rare words weigh more.
func idf(n float64, df int) float64 { return math.Log(1 + n/float64(max(df, 1))) }

// fuzzyWord reports whether a word may match another word that is not
// equal to it: it has at least minFuzzyRunes runes and no digit (numbers
// tell entities apart: "14th" and "15th" research institutes).
func fuzzyWord(word string) bool {
	if utf8.RuneCountInString(word) < minFuzzyRunes {
		return false
	}
	for _, r := range word {
		if unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// stem strips an English plural ending from a word of five or more ASCII
// letters, with the rules of Harman's S stemmer: "-ies" -> "-y" (not after
// a or e), "-es" -> "-e" (not after a, e or o), "-s" -> "" (not after u or s).
// It reports false for a word it does not apply to.
func stem(word string) (string, bool) {
	n := len(word)
	if n < 5 {
		return "", false
	}
	for i := 0; i < n; i++ {
		if c := word[i]; c < 'a' || c > 'z' {
			return "", false
		}
	}
	switch {
	case strings.HasSuffix(word, "ies") && !strings.HasSuffix(word, "eies") && !strings.HasSuffix(word, "aies"):
		return word[:n-3] + "y", true
	case strings.HasSuffix(word, "es") && !strings.HasSuffix(word, "aes") && !strings.HasSuffix(word, "ees") && !strings.HasSuffix(word, "oes"):
		return word[:n-1], true
	case strings.HasSuffix(word, "s") && !strings.HasSuffix(word, "us") && !strings.HasSuffix(word, "ss"):
		return word[:n-1], true
	}
	return word, true
}

// forNeighbourhood calls f with the hash of word and of each distinct
// one-rune deletion of it, if fuzzyWord(word). Two words within one edit
// (insertion, deletion, substitution, adjacent transposition) share at
// least one of these hashes.
func forNeighbourhood(word string, f func(uint64)) {
	if !fuzzyWord(word) {
		return
	}
	f(fnv(word, ""))
	prev := rune(-1)
	for i, r := range word {
		if r == prev { // deleting either of two equal runes gives the same word
			continue
		}
		prev = r
		f(fnv(word[:i], word[i+utf8.RuneLen(r):]))
	}
}

// fnv is FNV-1a over a then b, without building a+b.
func fnv(a, b string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * 1099511628211
	}
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * 1099511628211
	}
	return h
}
