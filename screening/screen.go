package screening

import (
	"cmp"
	"slices"
	"strings"
)

// FuzzyThreshold is the lowest score of a fuzzy match that Screen reports.
const FuzzyThreshold = 0.88

// Match kinds.
const (
	KindExact = "exact" // equal after normalisation, spacing or word order
	KindFuzzy = "fuzzy" // a score in [FuzzyThreshold, 1)
)

// Match is one list entry that matches a screened name.
type Match struct {
	Entry *Entry // the list's own entry: read it, do not modify it
	// Name is the entry's name or alternate name that matched, as listed.
	Name string
	// Score is 1 for an exact match, otherwise the fuzzy score in
	// [FuzzyThreshold, 1].
	Score float64
	Kind  string // KindExact or KindFuzzy
	// CountryMatch reports that the screened country is one of the entry's
	// Countries. It never decides whether an entry matches.
	CountryMatch bool
}

// Screen returns the entries whose name or alternate name matches name,
// at most one match per entry (its best), sorted by score (highest first),
// then matches in the screened country first, then list order. country is
// an ISO 3166-1 code or an English country name; it may be empty.
//
// Exact: the normalised names are equal, or equal once their spaces are
// removed ("Shen Zhen" / "Shenzhen"), or once their words are sorted
// ("PETROV, Ivan" / "Ivan Petrov"). Score 1.
//
// Fuzzy: every word of either name is paired with its most similar word in
// the other: 1 when equal; the Jaro-Winkler similarity when both have at
// least 5 letters and no digit and differ by one edit (a letter inserted,
// deleted, substituted, or two adjacent letters swapped) or only by an
// English plural ending ("technology" / "technologies"); else 0. The score
// is the sum over the words of both names of weight × similarity divided by
// the sum of their weights, the weight of a word being log(1 + names / names
// with that word): a shared common word ("Technologies") weighs little, a
// distinctive word (or a distinctive misspelt word) weighs much. Matches at
// or above FuzzyThreshold are reported. A misspelt legal form at the end of
// the screened name ("Corporatoin", "Limted") is removed, and the scores
// are multiplied by its similarity to the legal form. Candidates are only
// the names that share a word, or a similar word, with the screened name
// that is in at most max(1000, names/20) of the list's names.
func (l *List) Screen(name, country string) []Match {
	toks := normalizeTokens(name)
	if len(toks) == 0 {
		return nil
	}
	country = CountryCode(country)
	r := results{l: l, country: country}

	// Exact.
	l.exactIDs(toks, func(id int32) { r.add(id, 1, KindExact) })

	// A misspelt legal form at the end ("Limted") is dropped, and the score
	// of what is left is multiplied by its similarity to the legal form.
	toks, penalty := stripLegalTypos(toks, l.vocab)
	if penalty < FuzzyThreshold {
		return r.sorted()
	}
	if penalty < 1 {
		l.exactIDs(toks, func(id int32) {
			if !r.exact(l.names[id].entry) {
				r.add(id, penalty, KindFuzzy)
			}
		})
	}

	// Fuzzy.
	s := l.getScratch()
	defer l.scratch.Put(s)
	q := s.query(&l.index, toks)
	for k, gi := range q.gen {
		g := &q.groups[gi]
		mark := int32(k + 1)
		for _, c := range g.cands {
			wc := float32(l.weight[c.word])
			for _, id := range l.postings[c.word] {
				sl := &s.slots[id]
				if sl.mark == 0 {
					s.touched = append(s.touched, id)
				}
				if sl.mark != mark {
					sl.mark = mark
					sl.cov += float32(g.weight)
				}
				sl.cov += wc
			}
		}
	}
	for _, id := range s.touched {
		nr := &l.names[id]
		bound := (float64(s.slots[id].cov) + q.rest) / (q.weight + nr.weight)
		s.slots[id] = slot{}
		if bound < FuzzyThreshold-1e-6 || r.exact(nr.entry) {
			continue
		}
		if sc := penalty * q.score(&l.index, nr); sc >= FuzzyThreshold {
			r.add(id, sc, KindFuzzy)
		}
	}
	s.touched = s.touched[:0]
	return r.sorted()
}

// exactIDs calls f with the names whose exact keys equal those of toks.
func (l *List) exactIDs(toks []string, f func(int32)) {
	norm := strings.Join(toks, " ")
	spaceless, sorted := secondaryKeys(toks, norm)
	for _, m := range [...][]int32{l.byNorm[norm], l.byNorm[spaceless], l.bySpaceless[spaceless], l.bySorted[sorted]} {
		for _, id := range m {
			f(id)
		}
	}
}

// results keeps the best match per entry.
type results struct {
	l       *List
	country string
	out     []Match
	entry   []int32       // entry index of out[i]
	at      map[int32]int // entry index -> index in out
}

func (r *results) exact(entry int32) bool {
	i, ok := r.at[entry]
	return ok && r.out[i].Kind == KindExact
}

func (r *results) add(id int32, score float64, kind string) {
	nr := &r.l.names[id]
	if i, ok := r.at[nr.entry]; ok {
		if m := &r.out[i]; score > m.Score {
			m.Score, m.Kind, m.Name = score, kind, nr.name
		}
		return
	}
	if r.at == nil {
		r.at = make(map[int32]int)
	}
	e := &r.l.entries[nr.entry]
	r.at[nr.entry] = len(r.out)
	r.entry = append(r.entry, nr.entry)
	r.out = append(r.out, Match{
		Entry: e, Name: nr.name, Score: score, Kind: kind,
		CountryMatch: r.country != "" && slices.Contains(e.Countries, r.country),
	})
}

func (r *results) sorted() []Match {
	if len(r.out) < 2 {
		return r.out
	}
	order := make([]int, len(r.out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &r.out[i], &r.out[j]
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if a.CountryMatch != b.CountryMatch {
			if a.CountryMatch {
				return -1
			}
			return 1
		}
		return cmp.Compare(r.entry[i], r.entry[j])
	})
	out := make([]Match, len(order))
	for k, i := range order {
		out[k] = r.out[i]
	}
	return out
}

// scratch is the per-query working memory, pooled: one slot per name.
type scratch struct {
	slots   []slot  // one per name
	touched []int32 // names with a non-zero slot
	q       query
}

type slot struct {
	// cov bounds the weight of the name's words and of the query's words
	// that the generating groups can match.
	cov  float32
	mark int32 // the last generating group that counted the name, 0 for none
}

func (l *List) getScratch() *scratch {
	if s, ok := l.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{slots: make([]slot, len(l.names))}
}

// query is a screened name prepared for fuzzy scoring: one group per
// distinct word, holding the list words equal to it or one edit away.
type query struct {
	groups []group
	cands  []cand  // backing store of the groups' cands
	weight float64 // of the query's words
	// gen are the groups whose list words find the candidates, rarest
	// first; rest bounds the weight, on both sides, that the other groups can
	// match (see query).
	gen  []int
	rest float64
}

type group struct {
	word   string
	weight float64
	df     int     // names holding any of the cands
	wc     float64 // sum of the weights of the cands' words
	cands  []cand  // q.cands[start:end]
	start  int
	end    int
}

type cand struct {
	word int32
	sim  float64
}

func (s *scratch) query(ix *index, toks []string) *query {
	q := &s.q
	q.groups, q.cands = q.groups[:0], q.cands[:0]
	q.weight = 0
	for _, t := range toks {
		if slices.ContainsFunc(q.groups, func(g group) bool { return g.word == t }) {
			continue
		}
		start := len(q.cands)
		exact, inVocab := ix.vocab[t]
		if inVocab {
			q.cands = append(q.cands, cand{exact, 1})
		}
		forNeighbourhood(t, func(h uint64) {
			head, ok := ix.nearHead[h]
			if !ok {
				return
			}
			for i := head; i >= 0; i = ix.nearNext[i] {
				w := ix.nearWord[i]
				if (inVocab && w == exact) || slices.ContainsFunc(q.cands[start:], func(c cand) bool { return c.word == w }) {
					continue
				}
				if v := ix.words[w]; oneEdit(t, v) {
					q.cands = append(q.cands, cand{w, jaroWinkler(t, v)})
				}
			}
		})
		if st, ok := stem(t); ok {
			for _, w := range ix.byStem[st] {
				if (inVocab && w == exact) || slices.ContainsFunc(q.cands[start:], func(c cand) bool { return c.word == w }) {
					continue
				}
				q.cands = append(q.cands, cand{w, jaroWinkler(t, ix.words[w])})
			}
		}
		g := group{word: t, weight: ix.unknownWeight, start: start, end: len(q.cands)}
		best := -1.0
		for _, c := range q.cands[start:] {
			g.df += len(ix.postings[c.word])
			// A word not in the list weighs as its closest list word.
			if c.sim > best || (c.sim == best && ix.weight[c.word] > g.weight) {
				best, g.weight = c.sim, ix.weight[c.word]
			}
		}
		q.groups = append(q.groups, g)
		q.weight += g.weight
	}
	// Candidates come from the groups of the rarest words: a name matched
	// by none of them has a score of at most (restQ + restC) / (weight +
	// restC), where restQ is the query-side weight of the other groups and
	// restC the weight of their list words. Groups are taken, rarest first,
	// until that bound falls below the threshold; groups of words in more
	// than maxDF names never find candidates.
	q.gen = q.gen[:0]
	restQ, restC := 0.0, 0.0
	for i := range q.groups {
		g := &q.groups[i]
		g.cands = q.cands[g.start:g.end:g.end]
		for _, c := range g.cands {
			g.wc += ix.weight[c.word]
		}
		if len(g.cands) > 0 {
			restQ, restC = restQ+g.weight, restC+g.wc
			if g.df <= ix.maxDF {
				q.gen = append(q.gen, i)
			}
		}
	}
	slices.SortFunc(q.gen, func(a, b int) int { return cmp.Compare(q.groups[b].weight, q.groups[a].weight) })
	for k, gi := range q.gen {
		if (restQ+restC)/(q.weight+restC) < FuzzyThreshold-1e-6 {
			q.gen = q.gen[:k]
			break
		}
		restQ, restC = restQ-q.groups[gi].weight, restC-q.groups[gi].wc
	}
	q.rest = max(restQ+restC, 0)
	return q
}

// score is the fuzzy score of a name against the query (see Screen).
func (q *query) score(ix *index, nr *nameRec) float64 {
	num := 0.0
	for gi := range q.groups {
		g := &q.groups[gi]
		best := 0.0
		for _, c := range g.cands {
			if c.sim > best {
				if _, ok := slices.BinarySearch(nr.toks, c.word); ok {
					best = c.sim
				}
			}
		}
		num += g.weight * best
	}
	for _, w := range nr.toks {
		best := 0.0
		for gi := range q.groups {
			for _, c := range q.groups[gi].cands {
				if c.word == w && c.sim > best {
					best = c.sim
				}
			}
		}
		num += ix.weight[w] * best
	}
	return num / (q.weight + nr.weight)
}
