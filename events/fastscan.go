package events

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// fastScanFrame is one open object or array of fastValid.
type fastScanFrame struct {
	object     bool
	keyStart   int                 // object: index in keys of its first key
	arenaStart int                 // object: length of the arena when it was opened
	key        keySpan             // object: the key of the current member
	big        map[string]struct{} // object: its keys, once it has more than smallObjectKeys
}

// keySpan locates a decoded key in the key arena.
type keySpan struct{ start, end int }

// smallObjectKeys is how many keys an object may have before fastValid
// tracks them in a map rather than comparing each new key with every
// earlier one.
const smallObjectKeys = 32

// fastValid reports whether data passes every check of scanTokens, in one
// pass over the bytes without allocating for ordinary events. It is exact:
// fastValid(data) == (scanTokens(data) == nil) for valid UTF-8 (Decode
// checks UTF-8 first), so on false scanTokens makes the same pass again to
// report the error exactly as it always has. FuzzScanDifferential checks
// the equivalence.
func fastValid(data []byte) bool {
	var (
		stack    [MaxDepth]fastScanFrame
		keysBuf  [64]keySpan
		arenaBuf [512]byte
	)
	keys := keysBuf[:0]
	arena := arenaBuf[:0]
	n := len(data)

	i := skipSpace(data, 0)
	if i >= n || data[i] != '{' {
		return false
	}
	i++
	stack[0] = fastScanFrame{object: true}
	depth := 1
	afterValue := false // false: the container at the top was just opened

	for {
		i = skipSpace(data, i)
		if i >= n {
			return false
		}
		c := data[i]
		top := &stack[depth-1]

		// Close the container, or move on to its next member or element.
		if afterValue {
			switch {
			case c == ',':
				i = skipSpace(data, i+1)
				if i >= n {
					return false
				}
				c = data[i]
			case (c == '}' && top.object) || (c == ']' && !top.object):
				i++
				if top.object {
					keys = keys[:top.keyStart]
					arena = arena[:top.arenaStart]
					top.big = nil
				}
				depth--
				if depth == 0 {
					return skipSpace(data, i) == n
				}
				continue // afterValue stays true for the parent
			default:
				return false
			}
		} else if (c == '}' && top.object) || (c == ']' && !top.object) {
			// Empty container (its keys and arena are still empty).
			i++
			depth--
			afterValue = true
			if depth == 0 {
				return skipSpace(data, i) == n
			}
			continue
		}

		// Object member: key, colon.
		if top.object {
			if c != '"' {
				return false
			}
			start := len(arena)
			var ok bool
			arena, i, ok = scanKey(data, i, arena)
			if !ok {
				return false
			}
			key := arena[start:]
			// Duplicate keys in this object.
			if top.big != nil {
				if _, dup := top.big[string(key)]; dup {
					return false
				}
				top.big[string(key)] = struct{}{}
			} else {
				for _, k := range keys[top.keyStart:] {
					if string(arena[k.start:k.end]) == string(key) {
						return false
					}
				}
				if len(keys)-top.keyStart >= smallObjectKeys {
					top.big = make(map[string]struct{}, 2*smallObjectKeys)
					for _, k := range keys[top.keyStart:] {
						top.big[string(arena[k.start:k.end])] = struct{}{}
					}
					top.big[string(key)] = struct{}{}
				}
			}
			top.key = keySpan{start, len(arena)}
			keys = append(keys, top.key)
			i = skipSpace(data, i)
			if i >= n || data[i] != ':' {
				return false
			}
			i = skipSpace(data, i+1)
			if i >= n {
				return false
			}
			c = data[i]
		}

		// A value.
		switch {
		case c == '{' || c == '[':
			if depth >= MaxDepth {
				return false
			}
			stack[depth] = fastScanFrame{object: c == '{', keyStart: len(keys), arenaStart: len(arena)}
			depth++
			i++
			afterValue = false
			continue
		case c == '"':
			j, ok := scanString(data, i)
			if !ok {
				return false
			}
			// The decoded string is never longer than its content.
			if j-i-2 > MaxStringBytes && (!top.object || string(arena[top.key.start:top.key.end]) != "content") &&
				unquotedLen(data[i+1:j-1]) > MaxStringBytes {
				return false
			}
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j, ok := scanNumber(data, i)
			if !ok || j-i > maxNumberBytes {
				return false
			}
			i = j
		case c == 't':
			if !hasLiteral(data, i, "true") {
				return false
			}
			i += len("true")
		case c == 'f':
			if !hasLiteral(data, i, "false") {
				return false
			}
			i += len("false")
		case c == 'n':
			if !hasLiteral(data, i, "null") {
				return false
			}
			i += len("null")
		default:
			return false
		}
		afterValue = true
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// keyByte reports whether c may appear in a key (lowercase snake_case).
func keyByte(c rune) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' }

// keyBytes[c] is keyByte(c).
var keyBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = keyByte(rune(c))
	}
	return t
}()

// scanKey scans the string at data[i] (a '"') as an object key and appends
// the decoded key to arena. It returns the index after the closing quote
// and false if the string is malformed or the key is not lowercase
// snake_case of 1 to MaxKeyBytes bytes (validKey).
func scanKey(data []byte, i int, arena []byte) ([]byte, int, bool) {
	// The common case: no escapes.
	j := i + 1
	for j < len(data) && keyBytes[data[j]] {
		j++
	}
	if n := j - (i + 1); j < len(data) && data[j] == '"' && n > 0 && n <= MaxKeyBytes {
		return append(arena, data[i+1:j]...), j + 1, true
	}
	start := len(arena)
	i++
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			n := len(arena) - start
			return arena, i + 1, n > 0 && n <= MaxKeyBytes
		case c == '\\':
			// A key is valid only if every escape is \u00XX of a key byte.
			r := getu4(data[i:])
			if r < 0 || !keyByte(r) {
				return arena, i, false
			}
			arena = append(arena, byte(r))
			i += 6
		case keyByte(rune(c)):
			arena = append(arena, c)
			i++
		default:
			return arena, i, false
		}
		if len(arena)-start > MaxKeyBytes {
			return arena, i, false
		}
	}
	return arena, i, false
}

// scanString scans the string at data[i] (a '"'). It returns the index
// after the closing quote, or false if the string is malformed.
func scanString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		i = skipPlain(data, i)
		if i >= len(data) {
			break
		}
		c := data[i]
		if c == '"' {
			return i + 1, true
		}
		if c < ' ' {
			return i, false
		}
		if c == '\\' {
			if i+1 >= len(data) {
				return i, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if getu4(data[i:]) < 0 {
					return i, false
				}
				i += 5
			default:
				return i, false
			}
		}
	}
	return i, false
}

// unquotedLen is the length of the string encoding/json decodes from the
// well-formed string content s (without its quotes): escapes decoded,
// invalid surrogates and invalid UTF-8 replaced by U+FFFD.
func unquotedLen(s []byte) int {
	w := 0
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\' && r+1 < len(s) && s[r+1] == 'u':
			rr := getu4(s[r:])
			r += 6
			if utf16.IsSurrogate(rr) {
				if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != utf8.RuneError {
					r += 6
					w += utf8.RuneLen(dec)
					continue
				}
				rr = utf8.RuneError
			}
			w += utf8.RuneLen(rr)
		case c == '\\':
			r += 2
			w++
		case c < utf8.RuneSelf:
			r++
			w++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			w += utf8.RuneLen(rr)
		}
	}
	return w
}

// getu4 decodes the \uXXXX escape at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// scanNumber scans the JSON number at data[i] and returns the index after
// it, or false if it is malformed.
func scanNumber(data []byte, i int) (int, bool) {
	n := len(data)
	if data[i] == '-' {
		i++
	}
	switch {
	case i < n && data[i] == '0':
		i++
	case i < n && data[i] >= '1' && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		return i, false
	}
	if i < n && data[i] == '.' {
		j := skipDigits(data, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// skipPlain returns the index of the first byte from data[i] on that is a
// quote, a backslash or a control character, or len(data). It tests eight
// bytes at a time.
func skipPlain(data []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		quote := x ^ (ones * '"')
		backslash := x ^ (ones * '\\')
		// A byte is below 0x20, or zero after the XOR, when it borrows
		// from its high bit; bytes from 0x80 up are masked out by ^x.
		// The lowest flagged byte is exact (only bytes above a true one
		// may be flagged falsely), so it is the first special byte.
		special := ((x - ones*0x20) & ^x) | ((quote - ones) & ^quote) | ((backslash - ones) & ^backslash)
		if m := special & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(data); i++ {
		if c := data[i]; c == '"' || c == '\\' || c < ' ' {
			return i
		}
	}
	return i
}
