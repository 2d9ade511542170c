package repoconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaFile = "../../docs/golive.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("golive.schema.json", doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	sch, err := c.Compile("golive.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// yamlToJSON decodes YAML as an editor's YAML language server would before
// applying a JSON Schema: mappings become objects with string keys, and
// timestamps stay strings.
func yamlToJSON(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return jsonValue(v), nil
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValue(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return v
}

func schemaVerdict(sch *jsonschema.Schema, data []byte) error {
	v, err := yamlToJSON(data)
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func TestSchemaAcceptsExample(t *testing.T) {
	sch := compileSchema(t)
	data, err := os.ReadFile("../../docs/golive.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := schemaVerdict(sch, data); err != nil {
		t.Errorf("schema rejects the example: %v", err)
	}
}

func TestSchemaRejectsUnknownKeys(t *testing.T) {
	sch := compileSchema(t)
	for _, src := range []string{
		"version: 1\nenviroments: {}\n",
		"version: 1\nenvironments:\n  production:\n    workflows: deploy.yml\n",
		"version: 1\nslack: {chanel: '#x'}\n",
		"version: 1\ntemplate: {extends: true}\n",
		"version: 1\nreminders: {skip_weekend: true}\n",
		"version: 1\nreminders:\n  quiet_hours: {start: '20:00', end: '08:00', tz: UTC}\n",
	} {
		if err := schemaVerdict(sch, []byte(src)); err == nil {
			t.Errorf("schema accepts %q", src)
		} else if !strings.Contains(fmt.Sprintf("%v", err), "additional properties") {
			t.Errorf("schema rejects %q for another reason: %v", src, err)
		}
	}
}

// TestSchemaAgreesWithDecode checks every example under testdata: valid/
// files must pass both the schema and Decode, invalid/ files must fail both.
func TestSchemaAgreesWithDecode(t *testing.T) {
	sch := compileSchema(t)
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 4 {
			t.Fatalf("only %d examples in testdata/%s", len(files), dir)
		}
		for _, file := range files {
			t.Run(file, func(t *testing.T) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				_, decodeErr := Decode(data)
				schemaErr := schemaVerdict(sch, data)
				wantValid := dir == "valid"
				if (decodeErr == nil) != wantValid {
					t.Errorf("Decode: %v (want valid=%v)", decodeErr, wantValid)
				}
				if (schemaErr == nil) != wantValid {
					t.Errorf("schema: %v (want valid=%v)", schemaErr, wantValid)
				}
			})
		}
	}
}
