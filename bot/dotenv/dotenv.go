// Package dotenv reads and writes golive's .env file: KEY=VALUE lines that
// hold configuration the first-run setup wrote (the GitHub App's ID, private
// key and webhook secret, the Slack secrets), so that a restarted golive
// finds them. Values in the process environment win over the file.
//
// The format is the common one: blank lines and lines starting with # are
// ignored; a line may start with "export "; a value is bare (trailing
// " # comment" dropped, surrounding spaces trimmed), 'single-quoted'
// (literal) or "double-quoted" with the escapes \n \r \t \" \\ and \$.
// Quoted values may span lines. Multi-line secrets such as a PEM key are
// written double-quoted on one line with \n escapes.
package dotenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sethvargo/go-envconfig"
)

// Var is one variable to write.
type Var struct {
	Key, Value string
}

// entry is a variable found in a file, with the lines it spans.
type entry struct {
	key, value string
	first      int // index of its first line
	last       int // index of its last line (a quoted value may span lines)
}

// Parse reads the variables of a .env file. A key given twice keeps its last
// value. Errors name the line.
func Parse(data []byte) (map[string]string, error) {
	_, entries, err := parse(string(data))
	if err != nil {
		return nil, err
	}
	vars := make(map[string]string, len(entries))
	for _, e := range entries {
		vars[e.key] = e.value
	}
	return vars, nil
}

// Read parses the .env file at path; a missing file has no variables.
func Read(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	vars, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	return vars, nil
}

// parse splits text into lines and finds the variables in them.
func parse(text string) (lines []string, entries []entry, err error) {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines = strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		first := i
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			return nil, nil, fmt.Errorf("line %d: want KEY=VALUE", first+1)
		}
		key := strings.TrimSpace(line[:eq])
		if !validKey(key) {
			return nil, nil, fmt.Errorf("line %d: %q is not a variable name (letters, digits and _, not starting with a digit)", first+1, key)
		}
		// The value is taken from the raw line, so that a quoted value keeps
		// its spaces.
		rest := strings.TrimLeft(lines[i][strings.IndexByte(lines[i], '=')+1:], " \t")
		var value string
		switch {
		case rest != "" && (rest[0] == '"' || rest[0] == '\''):
			// A quoted value may continue on the following lines.
			quoted := rest
			for {
				v, tail, ok, qerr := unquote(quoted)
				if qerr != nil {
					return nil, nil, fmt.Errorf("line %d: %w", first+1, qerr)
				}
				if ok {
					tail = strings.TrimSpace(tail)
					if tail != "" && !strings.HasPrefix(tail, "#") {
						return nil, nil, fmt.Errorf("line %d: unexpected %q after the quoted value of %s", i+1, tail, key)
					}
					value = v
					break
				}
				if i+1 >= len(lines) {
					return nil, nil, fmt.Errorf("line %d: the quoted value of %s is not closed", first+1, key)
				}
				i++
				quoted += "\n" + lines[i]
			}
		default:
			value = rest
			if j := strings.Index(value, " #"); j >= 0 {
				value = value[:j]
			}
			if j := strings.Index(value, "\t#"); j >= 0 {
				value = value[:j]
			}
			value = strings.TrimSpace(value)
		}
		entries = append(entries, entry{key: key, value: value, first: first, last: i})
	}
	return lines, entries, nil
}

// unquote decodes the quoted value at the start of s. ok is false when the
// closing quote is not in s.
func unquote(s string) (value, tail string, ok bool, err error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), s[i+1:], true, nil
		case c == '\\' && q == '"':
			if i+1 >= len(s) {
				return "", "", false, nil
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$':
				b.WriteByte(s[i])
			case '\n':
				// A backslash at the end of a line continues the value.
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false, nil
}

func validKey(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, c := range k {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Quote encodes value for a .env line: bare when it is made of characters
// that need no quoting, else double-quoted on one line with escapes.
func Quote(value string) string {
	bare := value != ""
	for _, c := range value {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("_./:@+,=-", c)) {
			bare = false
			break
		}
	}
	if bare {
		return value
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, `$`, `\$`)
	return `"` + r.Replace(value) + `"`
}

// Update sets vars in the .env file at path, keeping its other lines. A
// variable already in the file is replaced where it stands (further copies
// are dropped); new ones are appended, after comment when it is not empty.
// A new file is created with mode 0600; an existing file's mode is never
// widened (it is narrowed to at most 0600). The file is replaced atomically
// where the directory allows it, else rewritten in place (a bind-mounted
// file); a symbolic link is followed.
func Update(path string, vars []Var, comment string) error {
	target := path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		target = real
	}
	perm := fs.FileMode(0o600)
	old, err := os.ReadFile(target)
	exists := err == nil
	switch {
	case exists:
		if st, err := os.Stat(target); err == nil {
			perm &= st.Mode().Perm()
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("update %q: %w", path, err)
	}
	lines, entries, err := parse(string(old))
	if err != nil {
		return fmt.Errorf("update %q: %w", path, err)
	}
	want := map[string]string{}
	for _, v := range vars {
		if !validKey(v.Key) {
			return fmt.Errorf("update %q: %q is not a variable name", path, v.Key)
		}
		want[v.Key] = v.Value
	}
	replaced := map[string]bool{}
	out := make([]string, 0, len(lines)+len(vars)+1)
	at := map[int]entry{}
	for _, e := range entries {
		at[e.first] = e
	}
	for i := 0; i < len(lines); i++ {
		e, isEntry := at[i]
		if !isEntry {
			out = append(out, lines[i])
			continue
		}
		v, set := want[e.key]
		if !set {
			out = append(out, lines[e.first:e.last+1]...)
			i = e.last
			continue
		}
		if !replaced[e.key] {
			out = append(out, e.key+"="+Quote(v))
			replaced[e.key] = true
		}
		i = e.last
	}
	var added []string
	for _, v := range vars {
		if !replaced[v.Key] {
			added = append(added, v.Key+"="+Quote(v.Value))
			replaced[v.Key] = true
		}
	}
	if len(added) > 0 {
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
			out = append(out, "")
		}
		if comment != "" {
			out = append(out, "# "+comment)
		}
		out = append(out, added...)
	}
	data := []byte(strings.Join(out, "\n") + "\n")
	if err := writeAtomic(target, data, perm); err != nil {
		if !exists {
			return fmt.Errorf("update %q: %w", path, err)
		}
		if err := writeInPlace(target, data, perm); err != nil {
			return fmt.Errorf("update %q: %w", path, err)
		}
	}
	return nil
}

// writeAtomic writes data to a temporary file beside path and renames it
// over path.
func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp") // created 0600
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // after a successful rename there is nothing left to remove
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// writeInPlace truncates and rewrites an existing file, narrowing its mode
// first.
func writeInPlace(path string, data []byte, perm fs.FileMode) error {
	if err := os.Chmod(path, perm); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Overlay is an envconfig.Lookuper that looks a variable up in the process
// environment first and, when it is unset or empty there, in a .env file.
// An empty value in the environment does not hide the file's value, so a
// container that passes GITHUB_WEBHOOK_SECRET= through still finds the
// secret setup wrote.
type Overlay struct {
	env  envconfig.Lookuper
	path string

	mu   sync.RWMutex
	vars map[string]string
}

var _ envconfig.Lookuper = (*Overlay)(nil)

// NewOverlay reads the .env file at path (a missing file is empty) and
// returns env overlaid on it.
func NewOverlay(env envconfig.Lookuper, path string) (*Overlay, error) {
	o := &Overlay{env: env, path: path}
	if err := o.Reload(); err != nil {
		return nil, err
	}
	return o, nil
}

// Reload reads the file again.
func (o *Overlay) Reload() error {
	vars, err := Read(o.path)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.vars = vars
	o.mu.Unlock()
	return nil
}

// Path is the .env file's path.
func (o *Overlay) Path() string { return o.path }

// Lookup implements envconfig.Lookuper.
func (o *Overlay) Lookup(key string) (string, bool) {
	if v, ok := o.env.Lookup(key); ok && v != "" {
		return v, true
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	if v, ok := o.vars[key]; ok {
		return v, true
	}
	return o.env.Lookup(key)
}

// InEnvironment reports whether key is set and not empty in the process
// environment itself (not the file).
func (o *Overlay) InEnvironment(key string) bool {
	v, ok := o.env.Lookup(key)
	return ok && v != ""
}
