package repoconfig

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// fakeFetcher serves files keyed by "owner/repo:path" and records requests.
type fakeFetcher struct {
	files    map[string]string
	failures map[string]error
	asked    []string
}

func (f *fakeFetcher) GetFile(_ context.Context, owner, repo, path string) ([]byte, bool, error) {
	key := owner + "/" + repo + ":" + path
	f.asked = append(f.asked, key)
	if err := f.failures[key]; err != nil {
		return nil, false, err
	}
	data, ok := f.files[key]
	return []byte(data), ok, nil
}

const (
	repoFile = "octo/app:.github/golive.yml"
	orgFile  = "octo/.github:.github/golive.yml"
)

func TestLoadSources(t *testing.T) {
	tests := []struct {
		name      string
		repo      string
		files     map[string]string
		wantSrc   Source
		wantLabel string
		wantAsked []string
	}{
		{"repository wins", "app", map[string]string{repoFile: "version: 1\nlabel: repo\n", orgFile: "version: 1\nlabel: org\n"},
			SourceRepository, "repo", []string{repoFile}},
		{"organization fallback", "app", map[string]string{orgFile: "version: 1\nlabel: org\n"},
			SourceOrganization, "org", []string{repoFile, orgFile}},
		{"defaults", "app", nil,
			SourceDefaults, "golive", []string{repoFile, orgFile}},
		{"the .github repository is asked once", ".github", map[string]string{orgFile: "version: 1\nlabel: org\n"},
			SourceOrganization, "org", []string{orgFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeFetcher{files: tt.files}
			cfg, src, err := Load(context.Background(), f, "octo", tt.repo)
			if err != nil {
				t.Fatal(err)
			}
			if src != tt.wantSrc || cfg.Label != tt.wantLabel {
				t.Errorf("Load = label %q from %s, want %q from %s", cfg.Label, src, tt.wantLabel, tt.wantSrc)
			}
			if !reflect.DeepEqual(f.asked, tt.wantAsked) {
				t.Errorf("asked %q, want %q", f.asked, tt.wantAsked)
			}
		})
	}
}

func TestLoadFetchFailureIsNotDefaults(t *testing.T) {
	boom := errors.New("403 rate limited")
	for _, failing := range []string{repoFile, orgFile} {
		f := &fakeFetcher{failures: map[string]error{failing: boom}}
		cfg, _, err := Load(context.Background(), f, "octo", "app")
		var le *LoadError
		if cfg != nil || !errors.As(err, &le) || !errors.Is(err, boom) {
			t.Fatalf("Load with %s failing = %v, %v; want a *LoadError wrapping the cause", failing, cfg, err)
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			t.Error("a LoadError is also a ParseError")
		}
		want := "read golive configuration " + failing + ": 403 rate limited"
		if err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
}

func TestLoadInvalidRepositoryFileDoesNotFallBack(t *testing.T) {
	f := &fakeFetcher{files: map[string]string{repoFile: "version: 1\nlabels: x\n", orgFile: "version: 1\n"}}
	cfg, src, err := Load(context.Background(), f, "octo", "app")
	var pe *ParseError
	if cfg != nil || src != SourceRepository || !errors.As(err, &pe) {
		t.Fatalf("Load = %v, %s, %v; want a *ParseError from the repository", cfg, src, err)
	}
	if pe.File != repoFile || len(pe.Problems) != 1 || pe.Problems[0].Line != 2 {
		t.Errorf("ParseError = %+v", pe)
	}
	want := `parse golive configuration octo/app:.github/golive.yml: line 2: unknown field "labels" in the configuration (did you mean "label"?)`
	if err.Error() != want {
		t.Errorf("error %q\nwant %q", err, want)
	}
	var le *LoadError
	if errors.As(err, &le) {
		t.Error("a ParseError is also a LoadError")
	}
	if len(f.asked) != 1 {
		t.Errorf("asked %q after an invalid repository file", f.asked)
	}
}

func TestLoadEmptyFileIsAnError(t *testing.T) {
	f := &fakeFetcher{files: map[string]string{orgFile: ""}}
	_, src, err := Load(context.Background(), f, "octo", "app")
	var pe *ParseError
	if src != SourceOrganization || !errors.As(err, &pe) || pe.File != orgFile {
		t.Fatalf("Load = %s, %v", src, err)
	}
}
