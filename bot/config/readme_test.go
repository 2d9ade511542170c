package config_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/config"
)

// envNames lists every variable a struct reads through its env tags.
func envNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, ok := f.Tag.Lookup("env"); ok {
			names = append(names, strings.TrimSpace(strings.Split(tag, ",")[0]))
		} else if f.Type.Kind() == reflect.Struct {
			names = append(names, envNames(f.Type)...)
		}
	}
	return names
}

// TestREADMEDocumentsEveryVariable keeps the README's configuration reference
// complete: each variable the configuration reads has a row of its own.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := envNames(reflect.TypeOf(config.Config{}))
	if len(names) < 15 {
		t.Fatalf("found only %d variables in the config struct", len(names))
	}
	for _, name := range names {
		row := regexp.MustCompile("(?m)^\\| `" + name + "` \\|")
		if !row.Match(readme) {
			t.Errorf("README.md has no configuration row for %s", name)
		}
	}
}
