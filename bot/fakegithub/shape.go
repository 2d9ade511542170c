package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// obj is a JSON object under construction.
type obj = map[string]any

// shaper completes response bodies so that they carry every property the
// spec requires: handlers set the meaningful fields, and the shaper adds the
// rest with the value GitHub sends when it has nothing to say (null where the
// schema allows it, else an empty or zero value of the right type and format).
type shaper struct {
	now  time.Time
	base string // API base URL, with trailing slash
}

const maxShapeDepth = 12

// complete returns v completed against schema s.
func (sh shaper) complete(s *openapi3.SchemaRef, v any) any {
	return sh.fill(s, v, "", 0)
}

func (sh shaper) fill(ref *openapi3.SchemaRef, v any, name string, depth int) any {
	if ref == nil || ref.Value == nil || depth > maxShapeDepth {
		return v
	}
	s := ref.Value
	if v == nil {
		return sh.generate(ref, name, depth)
	}
	for _, sub := range s.AllOf {
		v = sh.fill(sub, v, name, depth+1)
	}
	if alts := append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...); len(alts) > 0 {
		v = sh.fillAlternative(s, alts, v, name, depth)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, req := range s.Required {
			if _, ok := x[req]; !ok {
				x[req] = sh.generate(s.Properties[req], req, depth+1)
			}
		}
		for k, val := range x {
			if p, ok := s.Properties[k]; ok {
				x[k] = sh.fill(p, val, k, depth+1)
			} else if s.AdditionalProperties.Schema != nil {
				x[k] = sh.fill(s.AdditionalProperties.Schema, val, k, depth+1)
			}
		}
		return x
	case []any:
		if s.Items != nil {
			for i := range x {
				x[i] = sh.fill(s.Items, x[i], name, depth+1)
			}
		}
		return x
	}
	return v
}

// fillAlternative completes v against the first oneOf/anyOf branch under
// which the completed value validates; a discriminator, when present and set,
// picks the branch directly.
func (sh shaper) fillAlternative(s *openapi3.Schema, alts openapi3.SchemaRefs, v any, name string, depth int) any {
	if m, ok := v.(map[string]any); ok && s.Discriminator != nil {
		if tag, ok := m[s.Discriminator.PropertyName].(string); ok {
			if ref, ok := s.Discriminator.Mapping[tag]; ok {
				for _, alt := range alts {
					if alt.Ref == ref.Ref {
						return sh.fill(alt, v, name, depth+1)
					}
				}
			}
		}
	}
	// Prefer the branch that validates with the fewest properties added, so
	// that an event carrying its own fields is not dressed up as another.
	var best any
	bestAdded := -1
	for _, alt := range alts {
		if alt.Value == nil || !kindFits(alt.Value, v) {
			continue
		}
		cand := sh.fill(alt, deepCopy(v), name, depth+1)
		if alt.Value.VisitJSON(roundTrip(cand), openapi3.VisitAsResponse()) != nil {
			continue
		}
		added := 0
		if m, ok := cand.(map[string]any); ok {
			orig, _ := v.(map[string]any)
			added = len(m) - len(orig)
		}
		if bestAdded < 0 || added < bestAdded {
			best, bestAdded = cand, added
		}
		if added == 0 {
			break
		}
	}
	if bestAdded >= 0 {
		return best
	}
	return v
}

// kindFits reports whether v's JSON kind is one schema s may describe.
func kindFits(s *openapi3.Schema, v any) bool {
	if s.Type == nil || len(*s.Type) == 0 {
		return true
	}
	switch v.(type) {
	case map[string]any:
		return s.Type.Is("object")
	case []any:
		return s.Type.Is("array")
	case string:
		return s.Type.Is("string")
	case bool:
		return s.Type.Is("boolean")
	case int, int64, float64:
		return s.Type.Is("integer") || s.Type.Is("number")
	}
	return true
}

// generate returns the value GitHub would send for a required property the
// fake has nothing to say about.
func (sh shaper) generate(ref *openapi3.SchemaRef, name string, depth int) any {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if s.Nullable {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if len(s.AllOf) > 0 {
		return sh.fill(ref, obj{}, name, depth+1)
	}
	if alts := append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...); len(alts) > 0 {
		for _, alt := range alts {
			if alt.Value != nil && alt.Value.Nullable {
				return nil
			}
		}
		return sh.generate(alts[0], name, depth+1)
	}
	switch {
	case s.Type.Is("object") || (s.Type == nil && len(s.Properties) > 0):
		return sh.fill(ref, obj{}, name, depth+1)
	case s.Type.Is("array"):
		return []any{}
	case s.Type.Is("string"):
		return sh.placeholderString(s, name)
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	}
	return nil
}

func (sh shaper) placeholderString(s *openapi3.Schema, name string) string {
	switch {
	case s.Format == "date-time":
		return ts(sh.now)
	case s.Format == "date":
		return sh.now.Format("2006-01-02")
	case name == "sha" || strings.HasSuffix(name, "_sha"):
		return fakeSHA(name)
	case name == "node_id":
		return nodeID("X", 0)
	case s.Format == "uri" || strings.HasSuffix(name, "_url") || name == "url":
		return sh.base
	}
	return ""
}

// ts formats t as GitHub does in JSON bodies.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// fakeSHA derives a stable 40-hex "commit SHA" from seed.
func fakeSHA(seed string) string {
	h := sha1.Sum([]byte(seed))
	return hex.EncodeToString(h[:])
}

// roundTrip converts v to the types encoding/json produces, so that schema
// validation sees what a client would.
func roundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, val := range x {
			c[k] = deepCopy(val)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, val := range x {
			c[i] = deepCopy(val)
		}
		return c
	}
	return v
}
