// Package policy holds chipledger's versioned reference data about what
// export controls cover, each fact with its source, so that a disputed
// figure is corrected in a data file, not in code:
//
//   - the chip catalogue (catalogue.json, [Default], [LoadCatalogue]): per
//     chip model its total processing performance (TPP), die area,
//     performance density, ECCN and H100-equivalents, and per system model
//     (servers, boards) its ECCN;
//   - the controls (controls.json, [DefaultControls], [LoadControls]):
//     country groups with dated memberships, Hong Kong as China, the
//     licence requirements of the advanced-computing rules, the 2026 China
//     case-by-case regime, licence exceptions, transshipment hubs,
//     Malaysia's permit rule, the rescinded AI diffusion framework and the
//     versions of ECCN 3A090;
//   - the red-flag thresholds (thresholds.json, [DefaultThresholds],
//     [LoadThresholds]);
//   - the bundle of all three, the one policy document activated in the
//     ledger ([DefaultBundle], [DefaultBundleJSON], [LoadBundle]).
//
// See docs/policy.md.
package policy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Model kinds (Chip.Kind).
const (
	KindChip   = "chip"   // an accelerator: it has a TPP of its own
	KindSystem = "system" // a server or board: it has no TPP of its own, its chips do
)

// H100TPP is the TPP of one H100 SXM, the unit of H100-equivalents.
const H100TPP = 15832

// Thresholds of ECCN 3A090 under the rule effective 2023-11-17 (see
// ClassifyECCN).
const (
	TPPThresholdA = 4800 // 3A090.a: TPP >= 4800
	TPPDensityA   = 1600 // 3A090.a: or TPP >= 1600 ...
	PDThresholdA  = 5.92 // ... and PD >= 5.92
)

// ECCNs the classification returns.
const (
	ECCN3A090a = "3A090.a"
	ECCN3A090b = "3A090.b"
)

// Chip is one catalogued model: an accelerator (Kind chip) or a system
// (Kind system: a server or board that carries chips, with an ECCN and no
// TPP of its own).
type Chip struct {
	Model           string   `json:"model"` // canonical model id, as in unit.commissioned.v1 "model"
	Kind            string   `json:"kind"`  // KindChip or KindSystem
	Vendor          string   `json:"vendor"`
	ECCN            string   `json:"eccn,omitempty"`             // "" for a chip below the 3A090 thresholds
	Source          string   `json:"source"`                     // where the figures come from
	TPP             float64  `json:"tpp,omitempty"`              // total processing performance, dense
	DieAreaMM2      float64  `json:"die_area_mm2,omitempty"`     // 0 when not known
	PD              float64  `json:"pd,omitempty"`               // performance density, TPP per mm2; 0 when not known
	H100Equivalents float64  `json:"h100_equivalents,omitempty"` // TPP / 15832
	Aliases         []string `json:"aliases,omitempty"`
}

// Catalogue is one version of the chip catalogue. It is immutable: share
// it freely between goroutines.
type Catalogue struct {
	version   string
	effective time.Time
	source    string
	models    []Chip         // in file order
	index     map[string]int // folded model id or alias -> models index
}

// Version returns the catalogue's version string.
func (c *Catalogue) Version() string { return c.version }

// Effective returns the date the catalogue takes effect (midnight UTC).
func (c *Catalogue) Effective() time.Time { return c.effective }

// Source returns the catalogue's overall source note.
func (c *Catalogue) Source() string { return c.source }

// Models returns every catalogued model, sorted by model id. The Chips
// returned share their Aliases with the catalogue: do not modify them.
func (c *Catalogue) Models() []Chip {
	out := slices.Clone(c.models)
	slices.SortFunc(out, func(a, b Chip) int { return strings.Compare(a.Model, b.Model) })
	return out
}

// Lookup finds a model by its id or one of its aliases. The match ignores
// ASCII case and treats spaces, underscores and hyphens alike, so
// "h100 sxm5 80gb" finds "H100-SXM5-80GB".
func (c *Catalogue) Lookup(model string) (Chip, bool) {
	if c == nil {
		return Chip{}, false
	}
	i, ok := c.index[fold(model)]
	if !ok {
		return Chip{}, false
	}
	return c.models[i], true
}

// fold is the form models and aliases are matched in.
func fold(s string) string {
	s = strings.TrimSpace(s)
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'A' && ch <= 'Z':
			ch += 'a' - 'A'
		case ch == ' ' || ch == '_':
			ch = '-'
		}
		b[i] = ch
	}
	return string(b)
}

// ClassifyECCN classifies an integrated circuit by its TPP and performance
// density (TPP per mm2 of die area; pass 0 when unknown) under ECCN 3A090
// as in force from 2023-11-17:
//
//   - 3A090.a: TPP >= 4800, or TPP >= 1600 and PD >= 5.92;
//   - 3A090.b: TPP >= 2400 and < 4800 and PD >= 1.6 and < 5.92, or
//     TPP >= 1600 and PD >= 3.2 and < 5.92 (verify against the rule's text);
//   - "" otherwise: not 3A090 (the item is classified elsewhere on the
//     Commerce Control List or is EAR99, which this catalogue does not decide).
func ClassifyECCN(tpp, pd float64) string {
	switch {
	case tpp >= TPPThresholdA || (tpp >= TPPDensityA && pd >= PDThresholdA):
		return ECCN3A090a
	case tpp >= 2400 && tpp < TPPThresholdA && pd >= 1.6 && pd < PDThresholdA,
		tpp >= 1600 && pd >= 3.2 && pd < PDThresholdA:
		return ECCN3A090b
	}
	return ""
}

//go:embed catalogue.json
var embedded []byte

var defaultCatalogue = sync.OnceValue(func() *Catalogue {
	c, err := LoadCatalogue(bytes.NewReader(embedded))
	if err != nil {
		panic("policy: the embedded catalogue.json is broken: " + err.Error())
	}
	return c
})

// Default returns the embedded catalogue (catalogue.json), parsed once. It
// panics only if the embedded file is broken, which a test guards.
func Default() *Catalogue { return defaultCatalogue() }

// maxCatalogueBytes bounds what LoadCatalogue reads.
const maxCatalogueBytes = 4 << 20

// Tolerances for the derived figures a file may also state.
const (
	h100Tolerance = 0.0005 // h100_equivalents are written to 4 decimals
	pdTolerance   = 0.01   // pd is written to 2 decimals
)

type fileCatalogue struct {
	Version   string      `json:"version"`
	Effective string      `json:"effective"`
	Source    string      `json:"source"`
	Models    []fileModel `json:"models"`
}

type fileModel struct {
	Model           string   `json:"model"`
	Kind            string   `json:"kind"`
	Aliases         []string `json:"aliases"`
	Vendor          string   `json:"vendor"`
	TPP             *float64 `json:"tpp"`
	DieAreaMM2      *float64 `json:"die_area_mm2"`
	PD              *float64 `json:"pd"`
	ECCN            *string  `json:"eccn"`
	H100Equivalents *float64 `json:"h100_equivalents"`
	Source          string   `json:"source"`
}

// LoadCatalogue reads a catalogue from its JSON form (see catalogue.json)
// strictly: unknown fields, duplicate keys, trailing data, duplicate
// models or aliases (compared as Lookup does), missing required fields,
// negative or non-finite figures, and derived figures (pd,
// h100_equivalents) that disagree with their inputs are errors. A chip's
// pd is computed from its die area when only the area is given, and its
// H100-equivalents from its TPP; a chip with a TPP between 1600 and 4800
// needs a die area or pd, without which it cannot be classified.
func LoadCatalogue(r io.Reader) (*Catalogue, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCatalogueBytes+1))
	if err != nil {
		return nil, fmt.Errorf("policy: read catalogue: %w", err)
	}
	if len(data) > maxCatalogueBytes {
		return nil, fmt.Errorf("policy: catalogue larger than %d bytes", maxCatalogueBytes)
	}
	if err := checkKeys("catalogue", data, reflect.TypeFor[fileCatalogue]()); err != nil {
		return nil, err
	}
	var f fileCatalogue
	if err := decodeStrict("catalogue", data, &f); err != nil {
		return nil, err
	}
	c := &Catalogue{version: f.Version, source: f.Source, index: make(map[string]int)}
	if strings.TrimSpace(f.Version) == "" {
		return nil, errors.New("policy: catalogue: version is required")
	}
	if c.effective, err = time.Parse(time.DateOnly, f.Effective); err != nil {
		return nil, fmt.Errorf("policy: catalogue: effective %q: want a date YYYY-MM-DD", f.Effective)
	}
	if len(f.Models) == 0 {
		return nil, errors.New("policy: catalogue: no models")
	}
	for i, m := range f.Models {
		ch, err := m.chip()
		if err != nil {
			return nil, fmt.Errorf("policy: catalogue: models[%d] %q: %w", i, m.Model, err)
		}
		for _, name := range append([]string{ch.Model}, ch.Aliases...) {
			k := fold(name)
			if j, dup := c.index[k]; dup && j == len(c.models) {
				return nil, fmt.Errorf("policy: catalogue: models[%d] %q: name %q repeats another of its names", i, m.Model, name)
			} else if dup {
				return nil, fmt.Errorf("policy: catalogue: models[%d] %q: name %q is already used by %q", i, m.Model, name, c.models[j].Model)
			}
			c.index[k] = len(c.models)
		}
		c.models = append(c.models, ch)
	}
	return c, nil
}

func (m fileModel) chip() (Chip, error) {
	ch := Chip{Model: m.Model, Kind: m.Kind, Vendor: m.Vendor, Source: m.Source, Aliases: slices.Clone(m.Aliases)}
	if m.ECCN != nil {
		ch.ECCN = *m.ECCN
	}
	if err := text("model", m.Model, true); err != nil {
		return Chip{}, err
	}
	for i, a := range m.Aliases {
		if err := text(fmt.Sprintf("aliases[%d]", i), a, true); err != nil {
			return Chip{}, err
		}
	}
	if err := text("vendor", m.Vendor, true); err != nil {
		return Chip{}, err
	}
	if err := text("source", m.Source, true); err != nil {
		return Chip{}, err
	}
	if err := text("eccn", ch.ECCN, false); err != nil {
		return Chip{}, err
	}
	for _, n := range []struct {
		name string
		v    *float64
	}{{"tpp", m.TPP}, {"die_area_mm2", m.DieAreaMM2}, {"pd", m.PD}, {"h100_equivalents", m.H100Equivalents}} {
		if n.v != nil && (math.IsNaN(*n.v) || math.IsInf(*n.v, 0) || *n.v < 0 || *n.v > 1e9) {
			return Chip{}, fmt.Errorf("%s %v out of range", n.name, *n.v)
		}
	}
	switch m.Kind {
	case KindSystem:
		if m.TPP != nil || m.DieAreaMM2 != nil || m.PD != nil || m.H100Equivalents != nil {
			return Chip{}, errors.New("a system has no tpp, die area, pd or h100_equivalents of its own: its chips have")
		}
		if m.ECCN == nil || ch.ECCN == "" {
			return Chip{}, errors.New("eccn is required for a system")
		}
		return ch, nil
	case KindChip:
	default:
		return Chip{}, fmt.Errorf("kind %q: want %q or %q", m.Kind, KindChip, KindSystem)
	}
	if m.TPP == nil || *m.TPP <= 0 {
		return Chip{}, errors.New("tpp is required for a chip and must be positive")
	}
	if m.ECCN == nil {
		return Chip{}, errors.New(`eccn is required for a chip ("" when it is not 3A090)`)
	}
	ch.TPP = *m.TPP
	if m.DieAreaMM2 != nil {
		if *m.DieAreaMM2 <= 0 {
			return Chip{}, errors.New("die_area_mm2 must be positive when given")
		}
		ch.DieAreaMM2 = *m.DieAreaMM2
		ch.PD = ch.TPP / ch.DieAreaMM2
	}
	if m.PD != nil {
		if ch.DieAreaMM2 > 0 && math.Abs(*m.PD-ch.PD) > pdTolerance {
			return Chip{}, fmt.Errorf("pd %v disagrees with tpp / die_area_mm2 = %.4f", *m.PD, ch.PD)
		}
		if ch.DieAreaMM2 == 0 {
			ch.PD = *m.PD
		}
	}
	ch.H100Equivalents = ch.TPP / H100TPP
	if m.H100Equivalents != nil && math.Abs(*m.H100Equivalents-ch.H100Equivalents) > h100Tolerance {
		return Chip{}, fmt.Errorf("h100_equivalents %v disagrees with tpp / %d = %.4f", *m.H100Equivalents, H100TPP, ch.H100Equivalents)
	}
	if ch.TPP >= TPPDensityA && ch.TPP < TPPThresholdA && ch.PD == 0 {
		return Chip{}, errors.New("a tpp between 1600 and 4800 needs die_area_mm2 or pd to classify the chip")
	}
	return ch, nil
}

// text checks a string field: no surrounding space, no control characters,
// at most 1024 bytes, and present when required.
func text(field, s string, required bool) error {
	switch {
	case s == "" && required:
		return fmt.Errorf("%s is required", field)
	case len(s) > 1024:
		return fmt.Errorf("%s longer than 1024 bytes", field)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s has surrounding space", field)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%s has control characters", field)
	}
	return nil
}
