package web

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// The flows overview: a country-to-country matrix of chip crossings and a
// two-column SVG diagram of the largest flows (origins left, destinations
// right, line width by chips), the flows an alert cites in red.

// diagramFlows is how many flows the diagram draws (the matrix has all).
const diagramFlows = 40

type flowNode struct {
	Country string
	Chips   int
	Y       int
}

type flowLine struct {
	Flow
	D     string
	Width string
}

type flowDiagram struct {
	Origins, Dests []flowNode
	Lines          []flowLine
	Width, Height  int
	LeftX, RightX  int
	Shown, Total   int
}

const (
	flowRow   = 26
	flowTop   = 30
	flowLeft  = 70
	flowRight = 530
)

func fillFlows(d *flowsData) {
	countries := map[string]bool{}
	for i := range d.Flows {
		f := &d.Flows[i]
		countries[f.From], countries[f.To] = true, true
		d.TotalChips += f.Chips
		if f.Flagged > 0 {
			d.Flagged = append(d.Flagged, *f)
		}
	}
	for c := range countries {
		d.Countries = append(d.Countries, c)
	}
	slices.Sort(d.Countries)
	pos := map[string]int{}
	for i, c := range d.Countries {
		pos[c] = i
	}
	d.Matrix = make([][]*Flow, len(d.Countries))
	for i := range d.Matrix {
		d.Matrix[i] = make([]*Flow, len(d.Countries))
	}
	for i := range d.Flows {
		f := &d.Flows[i]
		d.Matrix[pos[f.From]][pos[f.To]] = f
	}
	d.Diagram = layoutFlows(d.Flows)
}

func layoutFlows(all []Flow) flowDiagram {
	shown := all[:min(len(all), diagramFlows)]
	g := flowDiagram{LeftX: flowLeft, RightX: flowRight, Shown: len(shown), Total: len(all)}
	if len(shown) == 0 {
		return g
	}
	sum := func(key func(Flow) string) []flowNode {
		m := map[string]int{}
		for _, f := range shown {
			m[key(f)] += f.Chips
		}
		var out []flowNode
		for c, n := range m {
			out = append(out, flowNode{Country: c, Chips: n})
		}
		slices.SortFunc(out, func(a, b flowNode) int {
			return cmp.Or(cmp.Compare(b.Chips, a.Chips), cmp.Compare(a.Country, b.Country))
		})
		for i := range out {
			out[i].Y = flowTop + i*flowRow
		}
		return out
	}
	g.Origins = sum(func(f Flow) string { return f.From })
	g.Dests = sum(func(f Flow) string { return f.To })
	y := func(nodes []flowNode, c string) int {
		for _, n := range nodes {
			if n.Country == c {
				return n.Y
			}
		}
		return 0
	}
	maxChips := shown[0].Chips
	for _, f := range shown {
		maxChips = max(maxChips, f.Chips)
	}
	// Unflagged first, so that the red lines are drawn on top.
	order := slices.Clone(shown)
	slices.SortStableFunc(order, func(a, b Flow) int { return cmp.Compare(min(a.Flagged, 1), min(b.Flagged, 1)) })
	for _, f := range order {
		y1, y2 := y(g.Origins, f.From), y(g.Dests, f.To)
		x1, x2 := flowLeft+8, flowRight-8
		mid := (x1 + x2) / 2
		w := 1.5 + 10*math.Sqrt(float64(f.Chips)/float64(maxChips))
		g.Lines = append(g.Lines, flowLine{Flow: f,
			D:     fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2),
			Width: fmt.Sprintf("%.1f", w)})
	}
	rows := max(len(g.Origins), len(g.Dests))
	g.Width, g.Height = flowRight+80, flowTop+rows*flowRow
	return g
}
