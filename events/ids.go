package events

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Unit kinds: the part of a UnitID before the colon.
const (
	KindChip = "chip" // an accelerator (GPU, AI ASIC)
	KindSys  = "sys"  // a server, board or system that can carry chips
	KindPkg  = "pkg"  // a case, pallet or other package (SSCC)
)

// MaxSerialLen is the longest serial a UnitID may carry.
const MaxSerialLen = 64

// UnitID names one physical unit in its one normalised form "kind:SERIAL":
// kind is chip, sys or pkg; SERIAL is 1..64 characters of [A-Z0-9._/-].
// Build one with [ParseUnitID]; decoding normalises every unit id, so
// "CHIP:abc-1" and "chip:ABC-1" are the same unit.
type UnitID string

// ParseUnitID normalises s into a UnitID: surrounding white space is
// trimmed, the kind is lowercased and the serial uppercased (ASCII only).
// It fails when the kind is not chip, sys or pkg or the serial is empty,
// longer than 64 characters or has a character outside [A-Za-z0-9._/-].
func ParseUnitID(s string) (UnitID, error) {
	u, reason := parseUnitID(s)
	if reason != "" {
		return "", verr(ReasonOutOfRange, "", reason)
	}
	return u, nil
}

func parseUnitID(s string) (UnitID, string) {
	s = strings.TrimSpace(s)
	kind, serial, ok := strings.Cut(s, ":")
	if !ok {
		return "", `unit id must look like "kind:SERIAL" (kind chip, sys or pkg)`
	}
	if !isASCIILetters(kind) {
		return "", "unit kind must be chip, sys or pkg"
	}
	kind = strings.ToLower(kind)
	if kind != KindChip && kind != KindSys && kind != KindPkg {
		return "", "unit kind must be chip, sys or pkg"
	}
	if serial == "" || len(serial) > MaxSerialLen {
		return "", "unit serial must be 1 to 64 characters"
	}
	var b strings.Builder
	b.Grow(len(kind) + 1 + len(serial))
	b.WriteString(kind)
	b.WriteByte(':')
	for i := 0; i < len(serial); i++ {
		c := serial[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '/', c == '-':
			b.WriteByte(c)
		default:
			return "", "unit serial may only have the characters A-Z 0-9 . _ / -"
		}
	}
	return UnitID(b.String()), ""
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Kind returns the unit's kind (chip, sys or pkg), or "" if u has no colon.
func (u UnitID) Kind() string {
	kind, _, ok := strings.Cut(string(u), ":")
	if !ok {
		return ""
	}
	return kind
}

// Serial returns the unit's serial, the part after the colon.
func (u UnitID) Serial() string {
	_, serial, _ := strings.Cut(string(u), ":")
	return serial
}

// String returns the unit id as it is written in events.
func (u UnitID) String() string { return string(u) }

// normal reports whether u is a valid unit id in normalised form, without
// allocating.
func (u UnitID) normal() bool {
	kind, serial, ok := strings.Cut(string(u), ":")
	if !ok || (kind != KindChip && kind != KindSys && kind != KindPkg) || serial == "" || len(serial) > MaxSerialLen {
		return false
	}
	for i := 0; i < len(serial); i++ {
		c := serial[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	return true
}

// check reports why u is not a valid unit id in normalised form.
func (u UnitID) check() (code, reason string) {
	if u.normal() {
		return "", ""
	}
	n, reason := parseUnitID(string(u))
	if reason != "" {
		return ReasonOutOfRange, reason
	}
	if n != u {
		return ReasonOutOfRange, "unit id must be normalised (use ParseUnitID): " + string(n)
	}
	return "", ""
}

var uuidState struct {
	sync.Mutex
	ms  int64
	seq uint16
}

// NewID returns a new UUIDv7 (RFC 9562) string such as
// "0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b": 48 bits of Unix milliseconds,
// 12 bits of sub-millisecond time (kept strictly increasing within this
// process), the variant, and 62 random bits from crypto/rand. IDs made by
// one process sort in the order they were made.
func NewID() string {
	now := time.Now()
	ms := now.UnixMilli()
	// 12 bits of the fraction of the millisecond (RFC 9562 section 6.2, method 3).
	seq := uint16(int64(now.Nanosecond()%1e6) * 4096 / 1e6)

	uuidState.Lock()
	if ms < uuidState.ms || (ms == uuidState.ms && seq <= uuidState.seq) {
		ms, seq = uuidState.ms, uuidState.seq+1
		if seq > 0x0fff {
			ms, seq = ms+1, 0
		}
	}
	uuidState.ms, uuidState.seq = ms, seq
	uuidState.Unlock()

	var u [16]byte
	_, _ = rand.Read(u[8:]) // crypto/rand.Read never fails (Go 1.24+)
	u[0] = byte(ms >> 40)
	u[1] = byte(ms >> 32)
	u[2] = byte(ms >> 24)
	u[3] = byte(ms >> 16)
	u[4] = byte(ms >> 8)
	u[5] = byte(ms)
	u[6] = 0x70 | byte(seq>>8)
	u[7] = byte(seq)
	u[8] = 0x80 | u[8]&0x3f

	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}
