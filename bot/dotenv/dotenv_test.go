package dotenv

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"
)

func TestParse(t *testing.T) {
	in := "\ufeff# a comment\n" +
		"\n" +
		"PLAIN=value\n" +
		"SPACED =  spaced value   # trailing comment\n" +
		"export EXPORTED=yes\n" +
		"HASH=a#b\n" +
		"EMPTY=\n" +
		"SINGLE='it is $literal \\n here'\n" +
		"DOUBLE=\"line1\\nline2\\t\\\"quoted\\\" \\\\ \\$HOME\" # comment\n" +
		"MULTI=\"first\n" +
		"  second\"\n" +
		"CRLF=windows\r\n" +
		"DUP=one\n" +
		"DUP=two\n"
	got, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN":    "value",
		"SPACED":   "spaced value",
		"EXPORTED": "yes",
		"HASH":     "a#b",
		"EMPTY":    "",
		"SINGLE":   `it is $literal \n here`,
		"DOUBLE":   "line1\nline2\t\"quoted\" \\ $HOME",
		"MULTI":    "first\n  second",
		"CRLF":     "windows",
		"DUP":      "two",
	}
	if len(got) != len(want) {
		t.Errorf("got %d variables %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for in, want := range map[string]string{
		"A=1\nnot a variable\n":    "line 2: want KEY=VALUE",
		"A=1\n1BAD=x\n":            `line 2: "1BAD" is not a variable name`,
		"A=1\nB=\"open\nstill\n":   "line 2: the quoted value of B is not closed",
		"A='x' trailing\n":         `line 1: unexpected "trailing"`,
		"KEY-WITH-DASH=1\n":        `line 1: "KEY-WITH-DASH" is not a variable name`,
		"A=1\n\n\nC=\"x\" y # z\n": `line 4: unexpected "y # z"`,
	} {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yZ7pOQ3x+/\"=\\$x\n-----END RSA PRIVATE KEY-----\n"

func TestQuoteRoundTrips(t *testing.T) {
	for _, v := range []string{"", "simple", "12345", "with space", pem, `a"b\c$d`, "tab\there", "x=y", "#hash", "'single'", "trail\\"} {
		line := "K=" + Quote(v) + "\n"
		if strings.Count(line, "\n") != 1 {
			t.Errorf("Quote(%q) spans lines: %q", v, line)
		}
		got, err := Parse([]byte(line))
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if got["K"] != v {
			t.Errorf("round trip of %q through %q gave %q", v, line, got["K"])
		}
	}
	if q := Quote("abc123"); q != "abc123" {
		t.Errorf("Quote(abc123) = %q, want it bare", q)
	}
}

func TestUpdateCreatesA0600File(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	path := filepath.Join(t.TempDir(), ".env")
	if err := Update(path, []Var{{"GITHUB_APP_ID", "42"}, {"GITHUB_PRIVATE_KEY", pem}}, "written by a test"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	vars, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if vars["GITHUB_APP_ID"] != "42" || vars["GITHUB_PRIVATE_KEY"] != pem {
		t.Errorf("read back %q", vars)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# written by a test\nGITHUB_APP_ID=42\nGITHUB_PRIVATE_KEY=\"-----BEGIN RSA PRIVATE KEY-----\\nMIIE") {
		t.Errorf("file:\n%s", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestUpdateKeepsOtherLinesAndNeverWidens(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	old := "# my settings\nGOLIVE_ADDR=:8080\nGITHUB_APP_ID=1 # old app\nMULTI=\"a\nb\"\n\nGITHUB_APP_ID=2\nexport KEEP='x y'\n"
	for _, mode := range []os.FileMode{0o644, 0o400} {
		if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := Update(path, []Var{{"GITHUB_APP_ID", "3"}, {"MULTI", "c"}, {"NEW", "n v"}}, ""); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		want := "# my settings\nGOLIVE_ADDR=:8080\nGITHUB_APP_ID=3\nMULTI=c\n\nexport KEEP='x y'\n\nNEW=\"n v\"\n"
		if string(data) != want {
			t.Errorf("mode %v: file\n%s\nwant\n%s", mode, data, want)
		}
		st, _ := os.Stat(path)
		if got, max := st.Mode().Perm(), mode&0o600; got != max {
			t.Errorf("mode %v became %v, want %v", mode, got, max)
		}
	}
}

func TestUpdateFollowsASymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "secrets.env")
	if err := os.WriteFile(real, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, ".env")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := Update(link, []Var{{"B", "2"}}, ""); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
	vars, _ := Read(real)
	if vars["A"] != "1" || vars["B"] != "2" {
		t.Errorf("target holds %v", vars)
	}
}

func TestUpdateRefusesABrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(path, []byte("A=\"open\n"), 0o600)
	if err := Update(path, []Var{{"B", "2"}}, ""); err == nil || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("Update over a broken file: %v", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "A=\"open\n" {
		t.Errorf("the broken file was changed: %q", data)
	}
}

func TestOverlayEnvironmentWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(path, []byte("FROM_FILE=file\nBOTH=file\nEMPTY_IN_ENV=file\n"), 0o600)
	env := envconfig.MapLookuper(map[string]string{"BOTH": "env", "ONLY_ENV": "env", "EMPTY_IN_ENV": ""})
	o, err := NewOverlay(env, path)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"FROM_FILE": "file", "BOTH": "env", "ONLY_ENV": "env", "EMPTY_IN_ENV": "file"} {
		if v, ok := o.Lookup(k); !ok || v != want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", k, v, ok, want)
		}
	}
	if _, ok := o.Lookup("NOWHERE"); ok {
		t.Error("an unset variable was found")
	}
	if !o.InEnvironment("BOTH") || o.InEnvironment("FROM_FILE") || o.InEnvironment("EMPTY_IN_ENV") {
		t.Error("InEnvironment is wrong")
	}
	// Reload sees what was written since.
	if err := Update(path, []Var{{"LATER", "yes"}}, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := o.Lookup("LATER"); ok {
		t.Error("found before Reload")
	}
	if err := o.Reload(); err != nil {
		t.Fatal(err)
	}
	if v, _ := o.Lookup("LATER"); v != "yes" {
		t.Errorf("after Reload: %q", v)
	}
	// A missing file is empty.
	if o, err := NewOverlay(env, filepath.Join(t.TempDir(), "none")); err != nil || o == nil {
		t.Errorf("missing file: %v", err)
	}
}
