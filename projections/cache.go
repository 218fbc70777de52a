package projections

// CachedSource puts a bounded cache of decoded entries in front of src, for
// callers that read many chains in a row: the chips of one server or
// pallet share most of their chains' entries. It keeps between n and 2n
// entries (two generations: when the newer fills, the older is dropped).
// It is not safe for concurrent use; give each goroutine its own.
func CachedSource(src Source, n int) Source {
	return &cachedSource{src: src, n: max(n, 1), cur: map[uint64]Entry{}, old: map[uint64]Entry{}}
}

type cachedSource struct {
	src      Source
	n        int
	cur, old map[uint64]Entry
}

func (c *cachedSource) Entry(seq uint64) (Entry, error) {
	if e, ok := c.cur[seq]; ok {
		return e, nil
	}
	e, ok := c.old[seq]
	if !ok {
		var err error
		if e, err = c.src.Entry(seq); err != nil {
			return e, err
		}
	}
	if len(c.cur) >= c.n {
		c.old, c.cur = c.cur, make(map[uint64]Entry, c.n)
	}
	c.cur[seq] = e
	return e, nil
}
