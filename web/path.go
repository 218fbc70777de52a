package web

import (
	"fmt"
	"slices"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
)

// A unit's path across countries, drawn as an inline SVG flow diagram:
// the countries in the order the custody chain went through them, an
// arrow for each border crossing (a shipment, through its transit
// countries, or a move the chain shows without a shipment: an attestation
// or receipt elsewhere), the hops an alert cites in red.

// Layout of the diagram, in SVG user units.
const (
	nodeW, nodeH = 76, 40
	gapX         = 120
	rowH         = 110
	perRow       = 6
	marginX      = 16
	marginY      = 24
)

// pathNode is one country visit.
type pathNode struct {
	Country string
	Transit bool     // a shipment's transit (via) country
	Rules   []string // rules of alerts citing a step while there (not a crossing)
	X, Y    int
}

// pathHop is one border crossing from node From to node To.
type pathHop struct {
	From, To int
	Kind     string // shipment or moved
	Seq      uint64 // the entry of the step
	Date     string
	Rules    []string // rules of alerts citing the step
	D        string   // SVG path
	LX, LY   int      // label position
}

// unitPath is the whole diagram.
type unitPath struct {
	Nodes         []pathNode
	Hops          []pathHop
	Width, Height int
	Rules         []string // every rule shown, for the legend
}

// buildPath lays out the path of a unit's chain; rules maps an entry's
// sequence to the rules of the alerts citing it.
func buildPath(h []projections.Record, rules map[uint64][]string) unitPath {
	var p unitPath
	cur := -1
	push := func(country string, transit bool, kind string, rec *projections.Record) {
		p.Nodes = append(p.Nodes, pathNode{Country: country, Transit: transit})
		n := len(p.Nodes) - 1
		if cur >= 0 && rec != nil {
			p.Hops = append(p.Hops, pathHop{From: cur, To: n, Kind: kind, Seq: rec.Seq,
				Date: rec.OccurredAt.UTC().Format("2006-01-02"), Rules: rules[rec.Seq]})
		}
		cur = n
	}
	flagNode := func(rs []string) {
		if cur >= 0 {
			for _, r := range rs {
				if !slices.Contains(p.Nodes[cur].Rules, r) {
					p.Nodes[cur].Rules = append(p.Nodes[cur].Rules, r)
				}
			}
		}
	}
	for i := range h {
		rec := &h[i]
		if b, ok := rec.Event.Body.(*events.Shipped); ok && b != nil && b.From.Country != "" && b.To.Country != "" &&
			(b.From.Country != b.To.Country || len(b.Via) > 0) {
			switch {
			case cur < 0:
				push(b.From.Country, false, "", nil)
			case p.Nodes[cur].Country != b.From.Country:
				push(b.From.Country, false, "moved", rec)
			}
			for _, c := range b.Via {
				if c != p.Nodes[cur].Country {
					push(c, true, "shipment", rec)
				}
			}
			if b.To.Country != p.Nodes[cur].Country {
				push(b.To.Country, false, "shipment", rec)
			}
			continue
		}
		c := rec.Country
		switch {
		case c == "":
			flagNode(rules[rec.Seq])
		case cur < 0:
			push(c, false, "", nil)
			flagNode(rules[rec.Seq])
		case p.Nodes[cur].Country != c:
			push(c, false, "moved", rec)
		default:
			flagNode(rules[rec.Seq])
		}
	}
	// Layout: rows of perRow nodes, left to right.
	for i := range p.Nodes {
		row, col := i/perRow, i%perRow
		p.Nodes[i].X = marginX + col*(nodeW+gapX)
		p.Nodes[i].Y = marginY + row*rowH
	}
	cols := min(len(p.Nodes), perRow)
	p.Width = 2*marginX + max(1, cols)*nodeW + max(0, cols-1)*gapX
	rows := (len(p.Nodes) + perRow - 1) / perRow
	p.Height = 2*marginY + max(1, rows)*rowH - (rowH - nodeH) + 28
	seen := map[string]bool{}
	for i := range p.Hops {
		hp := &p.Hops[i]
		a, b := p.Nodes[hp.From], p.Nodes[hp.To]
		y1, y2 := a.Y+nodeH/2, b.Y+nodeH/2
		if b.Y == a.Y && b.X > a.X { // same row
			hp.D = fmt.Sprintf("M%d %d L%d %d", a.X+nodeW, y1, b.X-4, y2)
			hp.LX, hp.LY = (a.X+nodeW+b.X)/2, y1-8
		} else { // down to the next row, back to its start
			mid := a.Y + nodeH + (rowH-nodeH)/2
			hp.D = fmt.Sprintf("M%d %d L%d %d L%d %d L%d %d L%d %d", a.X+nodeW/2, a.Y+nodeH, a.X+nodeW/2, mid, b.X-gapX/2, mid, b.X-gapX/2, y2, b.X-4, y2)
			hp.LX, hp.LY = (a.X+b.X)/2, mid-6
		}
		for _, r := range hp.Rules {
			seen[r] = true
		}
	}
	for _, n := range p.Nodes {
		for _, r := range n.Rules {
			seen[r] = true
		}
	}
	for r := range seen {
		p.Rules = append(p.Rules, r)
	}
	slices.SortFunc(p.Rules, compareRules)
	return p
}

// compareRules orders rule ids numerically (R2 before R10).
func compareRules(a, b string) int {
	ba, bb := ruleBit(a), ruleBit(b)
	switch {
	case ba < bb:
		return -1
	case ba > bb:
		return 1
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
