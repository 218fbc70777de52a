package projections

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// dumpLine is one line of Dump.
type dumpLine struct {
	Unit  UnitState `json:"unit"`
	Chain []Step    `json:"chain"`
}

// Dump writes the projection's canonical logical dump to w: JSON Lines,
// one line per unit sorted by unit id, each with the unit's state and its
// custody chain. Two projections fed the same entries write the same
// bytes. Without coordinates, ledger sequences and hashes are left out,
// so two ledgers that hold the same story in different orders (where
// occurred_at decides every order) compare equal.
func (p *Projection) Dump(src Source, w io.Writer, withCoordinates bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, u := range p.Units() {
		st, err := p.Unit(src, u)
		if err != nil {
			return err
		}
		chain, err := p.Chain(src, u)
		if err != nil {
			return err
		}
		if !withCoordinates {
			st.LastSeq = 0
			for i := range chain {
				chain[i].Seq, chain[i].Hash, chain[i].Original = 0, "", 0
			}
		}
		if err := enc.Encode(dumpLine{Unit: st, Chain: chain}); err != nil {
			return fmt.Errorf("projections: dump %s: %w", u, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("projections: dump: %w", err)
	}
	return nil
}
