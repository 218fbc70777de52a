package screening

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Columns returns the header of the CSL bulk CSV, in the published order.
// Load requires exactly these columns (in any order: fields are read by name).
func Columns() []string { return slices.Clone(columnNames) }

var columnNames = []string{
	"_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
	"federal_register_notice", "start_date", "end_date", "standard_order",
	"license_requirement", "license_policy", "call_sign", "vessel_type", "gross_tonnage",
	"gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks", "source_list_url",
	"alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
	"source_information_url", "ids",
}

// Entry is one row of the list.
type Entry struct {
	ID     string // _id
	Source string // the list, e.g. "Entity List (EL) - Bureau of Industry and Security"
	Type   string // "Entity", "Individual", "Vessel", "Aircraft" or empty
	Name   string
	// AltNames, Programs and Addresses are the "; "-separated cells, split.
	AltNames  []string
	Programs  []string
	Addresses []string
	// Countries are the ISO 3166-1 alpha-2 codes of the addresses (the last
	// part of each), nationalities, citizenships and vessel flag, without
	// repeats, in that order. Parts that are not a recognised country code or
	// name are left out.
	Countries          []string
	StartDate, EndDate string
	LicenseRequirement string
	LicensePolicy      string
	SourceListURL      string
}

// List is a loaded screening list with its match indexes. It is immutable
// and safe for concurrent use.
type List struct {
	entries []Entry
	digest  string
	index
	scratch sync.Pool // *scratch, see Screen
}

// Len returns the number of entries (rows) in the list.
func (l *List) Len() int { return len(l.entries) }

// Digest returns "sha256:<hex>" of the bytes that were loaded, BOM included:
// it identifies the list version a screening result was made against.
func (l *List) Digest() string { return l.digest }

// Load reads a CSL bulk CSV. It accepts a UTF-8 byte-order mark, CRLF line
// ends and quoted fields that span lines. It fails on a header that is not
// the CSL's (naming the missing, unexpected or repeated columns), on
// malformed CSV, on a row with another number of fields than the header and
// on a row whose name is empty or has no letter or digit (naming the line),
// and on a file without rows: an empty list would clear every party.
func Load(r io.Reader) (*List, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("screening: empty input: no header")
	}
	if err != nil {
		return nil, fmt.Errorf("screening: header: %w", err)
	}
	col, err := checkHeader(header)
	if err != nil {
		return nil, err
	}

	l := &List{}
	b := newIndexBuilder()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("screening: %w", err)
		}
		line, _ := cr.FieldPos(col.name)
		e := Entry{
			ID:                 field(rec, col.id),
			Source:             field(rec, col.source),
			Type:               field(rec, col.typ),
			Name:               field(rec, col.name),
			AltNames:           splitList(rec[col.altNames]),
			Programs:           splitList(rec[col.programs]),
			Addresses:          splitList(rec[col.addresses]),
			StartDate:          field(rec, col.startDate),
			EndDate:            field(rec, col.endDate),
			LicenseRequirement: field(rec, col.licenseRequirement),
			LicensePolicy:      field(rec, col.licensePolicy),
			SourceListURL:      field(rec, col.sourceListURL),
		}
		if e.Name == "" {
			return nil, fmt.Errorf("screening: line %d: empty name (_id %q)", line, e.ID)
		}
		e.Countries = countries(e.Addresses, rec[col.nationalities], rec[col.citizenships], rec[col.vesselFlag])
		if !b.add(int32(len(l.entries)), &e) {
			return nil, fmt.Errorf("screening: line %d: name %q has no letter or digit", line, e.Name)
		}
		l.entries = append(l.entries, e)
	}
	if len(l.entries) == 0 {
		return nil, errors.New("screening: no rows after the header")
	}
	_, _ = io.Copy(io.Discard, br) // the digest covers every byte, even after the last row
	l.index = b.build()
	l.digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return l, nil
}

// columns holds the index of each column that Load reads.
type columns struct {
	id, source, typ, name, programs, addresses, startDate, endDate int
	licenseRequirement, licensePolicy, sourceListURL, altNames     int
	nationalities, citizenships, vesselFlag                        int
}

func checkHeader(header []string) (columns, error) {
	pos := make(map[string]int, len(header))
	var missing, unexpected, repeated []string
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := pos[h]; dup {
			repeated = append(repeated, fmt.Sprintf("%q", h))
		}
		pos[h] = i
	}
	want := make(map[string]bool, len(columnNames))
	for _, c := range columnNames {
		want[c] = true
		if _, ok := pos[c]; !ok {
			missing = append(missing, fmt.Sprintf("%q", c))
		}
	}
	for _, h := range header {
		if h = strings.TrimSpace(h); !want[h] {
			unexpected = append(unexpected, fmt.Sprintf("%q", h))
		}
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "missing column "+strings.Join(missing, ", "))
	}
	if len(unexpected) > 0 {
		problems = append(problems, "unexpected column "+strings.Join(unexpected, ", "))
	}
	if len(repeated) > 0 {
		problems = append(problems, "repeated column "+strings.Join(repeated, ", "))
	}
	if len(problems) > 0 {
		return columns{}, fmt.Errorf("screening: header is not the CSL's: %s", strings.Join(problems, "; "))
	}
	return columns{
		id: pos["_id"], source: pos["source"], typ: pos["type"], name: pos["name"],
		programs: pos["programs"], addresses: pos["addresses"], startDate: pos["start_date"],
		endDate: pos["end_date"], licenseRequirement: pos["license_requirement"],
		licensePolicy: pos["license_policy"], sourceListURL: pos["source_list_url"],
		altNames: pos["alt_names"], nationalities: pos["nationalities"],
		citizenships: pos["citizenships"], vesselFlag: pos["vessel_flag"],
	}, nil
}

func field(rec []string, i int) string { return strings.TrimSpace(rec[i]) }

// splitList splits a "; "-separated cell, trimming each part and dropping
// empty ones; nil for an empty cell.
func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []string
	for p := range strings.SplitSeq(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// countries collects the country codes of an entry: the last comma-separated
// part of each address, then the nationalities, citizenships and vessel flag.
// In addresses only an upper-case two-letter part counts as a code (a
// lower-case or mixed one is more likely a state or a word); names count in
// any case. Unrecognised parts are skipped.
func countries(addresses []string, nationalities, citizenships, flag string) []string {
	var out []string
	addCode := func(c string) {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, a := range addresses {
		last := a
		if i := strings.LastIndexByte(a, ','); i >= 0 {
			last = a[i+1:]
		}
		last = strings.TrimSpace(last)
		if len(last) == 2 && strings.ToUpper(last) != last {
			continue
		}
		addCode(CountryCode(last))
	}
	for _, cell := range []string{nationalities, citizenships, flag} {
		for _, p := range splitList(cell) {
			addCode(CountryCode(p))
		}
	}
	return out
}
