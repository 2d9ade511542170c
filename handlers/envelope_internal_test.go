package handlers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decodeEnvelope is the reference: what encoding/json reads of the same body
// (member names matched exactly, the last of duplicates winning).
func decodeEnvelope(body []byte) (envelope, bool) {
	var top map[string]json.RawMessage
	if !json.Valid(body) || !strings.HasPrefix(strings.TrimLeft(string(body), " \t\r\n"), "{") || json.Unmarshal(body, &top) != nil {
		return envelope{}, false
	}
	var env envelope
	_ = json.Unmarshal(top["action"], &env.Action)
	var in map[string]json.RawMessage
	if json.Unmarshal(top["installation"], &in) == nil {
		_ = json.Unmarshal(in["id"], &env.InstallationID)
	}
	return env, true
}

func TestReadEnvelopeOnRealPayloads(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "github", "webhooks", "*", "*.json"))
	if len(files) == 0 {
		t.Fatal("no payload examples")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readEnvelope(body)
		want, ok := decodeEnvelope(body)
		if err != nil || !ok || got != want {
			t.Fatalf("%s: readEnvelope = %+v, %v; encoding/json = %+v, %v", f, got, err, want, ok)
		}
	}
}

func TestReadEnvelopeRejects(t *testing.T) {
	for _, body := range []string{
		"", "payload=%7B%7D", "[]", `"x"`, "null", "{", `{"a":}`, `{"a":1,}`, `{"a":tru}`, `{"a":"\x01"}`,
		`{"a":01}`, `{"a":1.}`, `{"a":1e}`, `{"a":"\q"}`, `{"a":"\u12"}`, `{} {}`, `{"a" 1}`, `{'a':1}`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		`{"x":` + strings.Repeat(`{"y":`, 10001) + "1" + strings.Repeat("}", 10002),
	} {
		if _, err := readEnvelope([]byte(body)); err == nil {
			t.Errorf("accepted %.40q", body)
		}
	}
}

func TestReadEnvelopeFields(t *testing.T) {
	cases := map[string]envelope{
		`{"action":"opened","installation":{"id":42,"node_id":"x"}}`:                        {"opened", 42},
		`{"installation":{"account":{"id":7},"id":9},"action":"created"}`:                   {"created", 9},
		`{"act\u0069on":"edited","installation":{"\u0069d":5}}`:                             {"edited", 5},
		`{"action":null,"installation":null}`:                                               {},
		`{"action":"a","action":"b"}`:                                                       {"b", 0},
		`  {"zen":"Keep it logically awesome.","hook":{"events":["*"],"config":{}}}` + "\n": {},
	}
	for body, want := range cases {
		got, err := readEnvelope([]byte(body))
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", body, got, err, want)
		}
	}
}

// FuzzReadEnvelope holds the scanner to encoding/json: the same bodies are
// valid objects, and the same action and installation id are read.
func FuzzReadEnvelope(f *testing.F) {
	f.Add([]byte(`{"action":"opened","installation":{"id":42}}`))
	f.Add([]byte(`{"a":[1,2.5e-3,true,false,null,"\u00e9\n"],"installation":{"id":-1}}`))
	f.Add([]byte(`[{}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := readEnvelope(body)
		want, ok := decodeEnvelope(body)
		if (err == nil) != ok {
			t.Fatalf("valid=%v but encoding/json says %v for %q (err %v)", err == nil, ok, body, err)
		}
		if ok && got != want {
			t.Fatalf("read %+v, encoding/json %+v for %q", got, want, body)
		}
	})
}
