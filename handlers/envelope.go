package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// envelope is what the webhook endpoint reads of a payload to route it.
type envelope struct {
	Action         string
	InstallationID int64
}

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// readEnvelope checks in one pass that body is a JSON object, valid exactly
// when json.Valid says so, and reads its top-level "action" string and
// "installation" object's "id" integer. Other members are only validated.
// Decoding a 25 KB payload fully just to route it cost the webhook a third of
// its CPU; this reads each byte once and allocates almost nothing.
func readEnvelope(body []byte) (envelope, error) {
	s := &jsonScanner{b: body}
	var env envelope
	s.space()
	if s.peek() != '{' {
		return env, errors.New("the payload is not a JSON object")
	}
	err := s.object(1, func(key []byte) error {
		switch string(key) {
		case "action":
			if s.peek() == '"' {
				start := s.i
				if err := s.str(); err != nil {
					return err
				}
				return json.Unmarshal(s.b[start:s.i], &env.Action)
			}
		case "installation":
			if s.peek() == '{' {
				return s.object(2, func(k []byte) error {
					if string(k) != "id" || !isNumberStart(s.peek()) {
						return s.value(3)
					}
					start := s.i
					if err := s.number(); err != nil {
						return err
					}
					env.InstallationID, _ = strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
					return nil
				})
			}
		}
		return s.value(2)
	})
	if err != nil {
		return envelope{}, err
	}
	s.space()
	if s.i != len(s.b) {
		return envelope{}, s.errorf("data after the top-level value")
	}
	return env, nil
}

// jsonScanner validates JSON (RFC 8259, as encoding/json accepts it) in place.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func isNumberStart(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// value validates one value of any kind at the given nesting depth.
func (s *jsonScanner) value(depth int) error {
	s.space()
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth, func([]byte) error { return s.value(depth + 1) })
	case c == '[':
		return s.array(depth)
	case c == '"':
		return s.str()
	case isNumberStart(c):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case s.i >= len(s.b):
		return s.errorf("unexpected end")
	default:
		return s.errorf("unexpected %q", c)
	}
}

// object validates an object, calling member with each key (unescaped) when
// the scanner stands at that member's value; member must consume the value.
func (s *jsonScanner) object(depth int, member func(key []byte) error) error {
	if depth > maxJSONDepth {
		return s.errorf("nested too deeply")
	}
	s.i++ // '{'
	s.space()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		if s.peek() != '"' {
			return s.errorf("expected a member name")
		}
		start := s.i
		if err := s.str(); err != nil {
			return err
		}
		key := s.b[start+1 : s.i-1]
		for _, c := range key {
			if c == '\\' {
				var k string
				if err := json.Unmarshal(s.b[start:s.i], &k); err != nil {
					return s.errorf("bad member name: %v", err)
				}
				key = []byte(k)
				break
			}
		}
		s.space()
		if s.peek() != ':' {
			return s.errorf("expected ':' after a member name")
		}
		s.i++
		s.space()
		if err := member(key); err != nil {
			return err
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errorf("expected ',' or '}' in an object")
		}
	}
}

func (s *jsonScanner) array(depth int) error {
	if depth > maxJSONDepth {
		return s.errorf("nested too deeply")
	}
	s.i++ // '['
	s.space()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errorf("expected ',' or ']' in an array")
		}
	}
}

// plainStringByte marks the bytes a JSON string may hold as they are: not
// the quote, not the backslash, not a control character.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *jsonScanner) str() error {
	s.i++ // opening quote
	for s.i < len(s.b) {
		// Most of a payload is plain string bytes; pass them in a tight loop.
		for s.i < len(s.b) && plainStringByte[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return s.errorf("control character in a string")
		case c == '\\':
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.b) {
					return s.errorf("short \\u escape")
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return s.errorf("bad \\u escape")
					}
				}
				s.i += 5
			default:
				return s.errorf("bad escape")
			}
		default:
			s.i++
		}
	}
	return s.errorf("unterminated string")
}

func (s *jsonScanner) number() error {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	default:
		return s.errorf("bad number")
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return s.errorf("bad fraction")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return s.errorf("bad exponent")
		}
	}
	return nil
}

func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *jsonScanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("bad literal")
	}
	s.i += len(lit)
	return nil
}

// nulEscape is a null byte as JSON writes it in a string.
var nulEscape = []byte(`\u0000`)

// decodePayload decodes a kept payload into v, as json.Unmarshal does, with
// every null byte in its strings (JSON's \u0000) replaced by U+FFFD first:
// PostgreSQL cannot keep a null byte in text, so an issue body, comment or
// slash command holding one would fail the handler on every retry, and it
// has no place in what golive shows either. Payloads without one (nearly
// all) are decoded as they are.
func decodePayload(payload []byte, v any) error {
	if !bytes.Contains(payload, nulEscape) {
		return json.Unmarshal(payload, v)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // ids stay exact
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return json.Unmarshal(payload, v) // reports the error
	}
	clean, err := json.Marshal(withoutNUL(doc))
	if err != nil {
		return err
	}
	return json.Unmarshal(clean, v)
}

// noNUL is s with each null byte replaced by U+FFFD.
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") }

func withoutNUL(v any) any {
	switch x := v.(type) {
	case string:
		return noNUL(x)
	case []any:
		for i := range x {
			x[i] = withoutNUL(x[i])
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[noNUL(k)] = withoutNUL(e)
		}
		return out
	}
	return v
}
