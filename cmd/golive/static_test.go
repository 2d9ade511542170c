package main

// Docker does not run in this repository's CI, so these tests check what the
// image build does without it: the binary is built from the Docker build
// context (the repository less .dockerignore) with the Dockerfile's own `go
// build` instruction, read from the Dockerfile so the two cannot drift; it must
// be statically linked, stripped and free of the builder's paths, and it must
// start, serve /healthz with its SQLite file in the working directory, answer
// `golive healthcheck` and stop on SIGTERM. The final stage's instructions, the
// release workflow's build and image tags, and the workflow files are checked
// too.

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const (
	repoRoot        = "../.."
	dockerfilePath  = repoRoot + "/Dockerfile"
	dockerignore    = repoRoot + "/.dockerignore"
	releaseWorkflow = repoRoot + "/.github/workflows/release.yml"
	ciWorkflow      = repoRoot + "/.github/workflows/ci.yml"
	dependabotPath  = repoRoot + "/.github/dependabot.yml"
	// staticTestVersion stands for the Dockerfile's ${VERSION} build argument.
	staticTestVersion = "v0.0.0-static-test"
	// imageNonrootUID is the distroless nonroot user, which owns /data in
	// the image and which the deployments run the server as.
	imageNonrootUID = "65532"
)

// dockerInstruction is one Dockerfile instruction, continuation lines joined.
type dockerInstruction struct {
	Cmd  string // upper-case keyword
	Args string
	Line int
}

// parseDockerfile reads the Dockerfile's instructions: comment lines (also
// inside continuations) are dropped and lines ending in a backslash joined.
func parseDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, dockerInstruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start})
		cur.Reset()
	}
	if cur.Len() != 0 {
		t.Fatalf("Dockerfile ends inside a continuation")
	}
	return out
}

// finalStage returns the instructions of the last build stage, FROM included.
func finalStage(t *testing.T, ins []dockerInstruction) []dockerInstruction {
	t.Helper()
	last := -1
	for i, in := range ins {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	return ins[last:]
}

// shellFields splits a shell command line into words, honouring single and
// double quotes and backslash escapes (enough for a RUN instruction).
func shellFields(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// goBuild is a `go build` command found in a shell line.
type goBuild struct {
	Env    []string // NAME=value assignments before `go`
	Flags  []string // the arguments between `build` and `-o`
	Output string
	Pkg    string
}

var envAssignment = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// findGoBuild parses the `go build` command of a shell command line.
func findGoBuild(line string) (goBuild, error) {
	words, err := shellFields(line)
	if err != nil {
		return goBuild{}, err
	}
	for i := 0; i+1 < len(words); i++ {
		if words[i] != "go" || words[i+1] != "build" {
			continue
		}
		var b goBuild
		for j := i - 1; j >= 0 && envAssignment.MatchString(words[j]); j-- {
			b.Env = append([]string{words[j]}, b.Env...)
		}
		rest := words[i+2:]
		o := slices.Index(rest, "-o")
		if o < 0 || o+2 != len(rest)-1 {
			return goBuild{}, fmt.Errorf("want `go build FLAGS -o OUTPUT PACKAGE`, got %q", strings.Join(words[i:], " "))
		}
		b.Flags, b.Output, b.Pkg = rest[:o], rest[o+1], rest[o+2]
		return b, nil
	}
	return goBuild{}, errors.New("no `go build` in it")
}

// dockerfileGoBuild returns the Dockerfile's `go build` RUN instruction.
func dockerfileGoBuild(t *testing.T) goBuild {
	t.Helper()
	var found []goBuild
	for _, in := range parseDockerfile(t) {
		if in.Cmd != "RUN" || !strings.Contains(in.Args, "go build") {
			continue
		}
		b, err := findGoBuild(in.Args)
		if err != nil {
			t.Fatalf("Dockerfile:%d: %v", in.Line, err)
		}
		found = append(found, b)
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile has %d `go build` RUN instructions, want 1", len(found))
	}
	return found[0]
}

// checkStaticBuildFlags checks the flags the image and the release binaries
// are built with.
func checkStaticBuildFlags(t *testing.T, where string, b goBuild) {
	t.Helper()
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("%s: go build runs without CGO_ENABLED=0 (env %q): the binary would link libc", where, b.Env)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("%s: go build flags %q lack -trimpath", where, b.Flags)
	}
	i := slices.Index(b.Flags, "-ldflags")
	if i < 0 || i+1 >= len(b.Flags) {
		t.Fatalf("%s: go build flags %q lack -ldflags", where, b.Flags)
	}
	ld := strings.Fields(b.Flags[i+1])
	for _, f := range []string{"-s", "-w", "-X"} {
		if !slices.Contains(ld, f) {
			t.Errorf("%s: -ldflags %q lack %s", where, b.Flags[i+1], f)
		}
	}
	if !strings.Contains(b.Flags[i+1], "-X main.version=${VERSION}") {
		t.Errorf("%s: -ldflags %q do not set main.version from ${VERSION}", where, b.Flags[i+1])
	}
	if b.Pkg != "./cmd/golive" {
		t.Errorf("%s: go build builds %q, want ./cmd/golive", where, b.Pkg)
	}
}

// dockerignorePatterns reads .dockerignore. Exclusion patterns with `!` are
// refused: buildContext does not implement them.
func dockerignorePatterns(t *testing.T) []*regexp.Regexp {
	t.Helper()
	data, err := os.ReadFile(dockerignore)
	if err != nil {
		t.Fatal(err)
	}
	var pats []*regexp.Regexp
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: %q: re-inclusion is not emulated by cmd/golive/static_test.go; extend buildContext", line)
		}
		p := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(line)), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		re.WriteString("$")
		pats = append(pats, regexp.MustCompile(re.String()))
	}
	return pats
}

// dockerIgnored reports whether .dockerignore keeps rel (slash-separated,
// relative to the context) out of the build context: a pattern matching the
// path or one of its parent directories excludes it, as in Docker.
func dockerIgnored(pats []*regexp.Regexp, rel string) bool {
	for p := rel; p != "." && p != ""; p = filepath.ToSlash(filepath.Dir(p)) {
		for _, re := range pats {
			if re.MatchString(p) {
				return true
			}
		}
	}
	return false
}

// buildContext copies the repository as Docker sends it to the builder
// (.dockerignore applied) into a temporary directory.
func buildContext(t *testing.T) string {
	t.Helper()
	pats := dockerignorePatterns(t)
	dst := t.TempDir()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		if dockerIgnored(pats, filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, src); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// buildLikeTheImage builds golive for linux/GOARCH from the Docker build
// context, with the Dockerfile's environment and flags.
func buildLikeTheImage(t *testing.T) string {
	t.Helper()
	b := dockerfileGoBuild(t)
	checkStaticBuildFlags(t, "Dockerfile", b)
	ctxDir := buildContext(t)
	bin := filepath.Join(t.TempDir(), "golive")
	subst := strings.NewReplacer("${VERSION}", staticTestVersion, "$VERSION", staticTestVersion,
		"${TARGETOS}", "linux", "$TARGETOS", "linux", "${TARGETARCH}", runtime.GOARCH, "$TARGETARCH", runtime.GOARCH)
	args := []string{"build"}
	for _, f := range b.Flags {
		args = append(args, subst.Replace(f))
	}
	args = append(args, "-o", bin, b.Pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = ctxDir
	// The golang image sets no GOFLAGS and the context has no .git.
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	for _, e := range b.Env {
		cmd.Env = append(cmd.Env, subst.Replace(e))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s (in the Docker build context): %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

func TestStaticBinaryBuiltLikeTheImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds golive a second time")
	}
	bin := buildLikeTheImage(t)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the image's binary is not ELF: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has a PT_INTERP program header: it needs a dynamic loader, which distroless/static lacks")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (DT_NEEDED) %v", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("the binary has a symbol table: -ldflags -s did not apply")
	}
	if f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil {
		t.Errorf("the binary has DWARF: -ldflags -w did not apply")
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(repoRoot)
	if bytes.Contains(data, []byte(root+"/")) {
		t.Errorf("the binary contains the source path %s: -trimpath did not apply", root)
	}

	if runtime.GOOS != "linux" {
		t.Skipf("the linux binary cannot run on %s", runtime.GOOS)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || string(out) != "golive "+staticTestVersion+"\n" {
		t.Fatalf("golive version: %q, %v; want %q (-X main.version)", out, err, "golive "+staticTestVersion)
	}

	// golive serve as the image runs it: no GOLIVE_DATABASE_URL, so the
	// SQLite file goes in the working directory (the image's /data).
	e := newEnv(t, "")
	delete(e.vars, "GOLIVE_DATABASE_URL")
	workdir := t.TempDir()
	p := startBinary(t, bin, workdir, e.vars)
	if code := p.get(t, "/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}
	if _, err := os.Stat(filepath.Join(workdir, "golive.db")); err != nil {
		t.Errorf("no golive.db in the working directory: %v", err)
	}
	_, port, err := net.SplitHostPort(strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// The HEALTHCHECK shares the container's environment, GOLIVE_ADDR=:PORT.
	healthcheck := func() (int, string) {
		cmd := exec.Command(bin, "healthcheck")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GOLIVE_ADDR=:" + port}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := healthcheck(); code != 0 {
		t.Fatalf("golive healthcheck against the running server: exit %d\n%s", code, out)
	}

	// STOPSIGNAL SIGTERM: golive drains and exits 0.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("golive did not stop within 30s of SIGTERM:\n%s", p.logs)
	}
	if p.err != nil {
		t.Fatalf("golive after SIGTERM: %v\n%s", p.err, p.logs)
	}
	if code, out := healthcheck(); code != 1 {
		t.Errorf("golive healthcheck with no server: exit %d, want 1\n%s", code, out)
	}
}

// startBinary runs `bin serve` in dir with exactly vars (and PATH, HOME) and
// waits until it listens, like env.start does for the test binary.
func startBinary(t *testing.T, bin, dir string, vars map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = dir
	p, _ := startLogging(t, cmd, "golive listening")
	return p
}

func TestStaticDockerfileFinalStage(t *testing.T) {
	ins := parseDockerfile(t)
	stage := finalStage(t, ins)
	from := strings.Fields(stage[0].Args)
	if len(from) == 0 || !strings.HasPrefix(from[0], "gcr.io/distroless/static") {
		t.Errorf("final stage FROM %q: want gcr.io/distroless/static… (CA certificates, tzdata, passwd; no shell)", stage[0].Args)
	}
	want := map[string]string{
		"ENTRYPOINT": `["/golive"]`,
		"CMD":        `["serve"]`,
		"WORKDIR":    "/data",
		"VOLUME":     "/data",
		"EXPOSE":     "3000",
		"STOPSIGNAL": "SIGTERM",
	}
	got := map[string]string{}
	var copies []string
	for _, in := range stage[1:] {
		switch in.Cmd {
		case "COPY":
			copies = append(copies, in.Args)
		case "HEALTHCHECK":
			if !strings.HasSuffix(in.Args, `CMD ["/golive", "healthcheck"]`) {
				t.Errorf("HEALTHCHECK %q: want CMD [\"/golive\", \"healthcheck\"] (exec form: there is no shell)", in.Args)
			}
			got[in.Cmd] = "ok"
		case "USER":
			// GitHub runs a Docker action as the image's user, and only
			// root may write the runner's 0644 GITHUB_OUTPUT and
			// GITHUB_STEP_SUMMARY files.
			if u := strings.Split(in.Args, ":")[0]; u != "root" && u != "0" {
				t.Errorf("Dockerfile:%d: USER %s: the GitHub Action runs this image as its default user, which must be root "+
					"to write GITHUB_OUTPUT; run the server as %s in the deployment instead", in.Line, in.Args, imageNonrootUID)
			}
		default:
			got[in.Cmd] = in.Args
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("final stage %s %q, want %q", k, got[k], v)
		}
	}
	if got["HEALTHCHECK"] != "ok" {
		t.Errorf("final stage has no HEALTHCHECK")
	}
	if !slices.ContainsFunc(copies, func(c string) bool { return strings.HasSuffix(c, " /golive") }) {
		t.Errorf("final stage copies no /golive: %q", copies)
	}
	if !slices.ContainsFunc(copies, func(c string) bool {
		return strings.Contains(c, "--chown="+imageNonrootUID+":"+imageNonrootUID) && strings.HasSuffix(c, " /data")
	}) {
		t.Errorf("final stage does not create /data owned by %s: %q", imageNonrootUID, copies)
	}
	// The build stage cross-compiles on the builder's platform.
	if !strings.Contains(ins[0].Args, "--platform=$BUILDPLATFORM") {
		t.Errorf("first stage FROM %q: want --platform=$BUILDPLATFORM (cross-compile instead of emulating)", ins[0].Args)
	}
	b := dockerfileGoBuild(t)
	for _, e := range []string{"GOOS=$TARGETOS", "GOARCH=$TARGETARCH"} {
		if !slices.Contains(b.Env, e) {
			t.Errorf("Dockerfile go build env %q lacks %s", b.Env, e)
		}
	}
}

func TestStaticDockerignoreKeepsWhatTheBuildNeeds(t *testing.T) {
	pats := dockerignorePatterns(t)
	for _, rel := range []string{".git/HEAD", "testdata/SOURCES.md", "bot/store/testdata/x", "golive.db", ".env", "deploy/docker-compose.yml"} {
		if !dockerIgnored(pats, rel) {
			t.Errorf(".dockerignore lets %s into the build context", rel)
		}
	}
	// Every file the build of ./cmd/golive reads must be in the context.
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, _ := filepath.Abs(repoRoot)
	for _, file := range append(strings.Fields(string(out)), root+"/go.mod", root+"/go.sum") {
		rel, err := filepath.Rel(root, file)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module outside the repository
		}
		if dockerIgnored(pats, filepath.ToSlash(rel)) {
			t.Errorf(".dockerignore keeps %s out of the build context, but golive's build needs it", rel)
		}
	}
}

// workflowStep is the part of a GitHub workflow step the tests read.
type workflowStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type workflowFile struct {
	On struct {
		Push struct {
			Tags []string `yaml:"tags"`
		} `yaml:"push"`
	} `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Steps       []workflowStep    `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, path string) workflowFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowFile
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return wf
}

func TestStaticReleaseWorkflowBuildsLikeTheImage(t *testing.T) {
	wf := loadWorkflow(t, releaseWorkflow)

	// The tag filter: full versions start a release, the moving v1 does not.
	tagMatches := func(tag string) bool {
		for _, f := range wf.On.Push.Tags {
			// GitHub's filter syntax for these patterns: + repeats the
			// previous character class, * is any run of non-slashes.
			re := "^" + strings.NewReplacer(".", `\.`, "*", "[^/]*").Replace(f) + "$"
			if regexp.MustCompile(re).MatchString(tag) {
				return true
			}
		}
		return false
	}
	for tag, want := range map[string]bool{"v1.2.3": true, "v10.0.11": true, "v1.3.0-rc.1": true, "v1": false, "v1.2": false, "latest": false} {
		if tagMatches(tag) != want {
			t.Errorf("release.yml on.push.tags %q: tag %s starts a release: %v, want %v", wf.On.Push.Tags, tag, !want, want)
		}
	}

	// Binaries: the Dockerfile's flags, for the four platforms.
	docker := dockerfileGoBuild(t)
	var builds []goBuild
	var buildStep workflowStep
	for _, s := range wf.Jobs["binaries"].Steps {
		for _, line := range strings.Split(strings.ReplaceAll(s.Run, "\\\n", " "), "\n") {
			if strings.Contains(line, "go build") {
				b, err := findGoBuild(line)
				if err != nil {
					t.Fatalf("release.yml: %v", err)
				}
				builds, buildStep = append(builds, b), s
			}
		}
	}
	if len(builds) != 1 {
		t.Fatalf("release.yml job binaries has %d go build commands, want 1", len(builds))
	}
	checkStaticBuildFlags(t, "release.yml", builds[0])
	if !slices.Equal(builds[0].Flags, docker.Flags) {
		t.Errorf("release.yml builds with %q, the Dockerfile with %q: keep them equal", builds[0].Flags, docker.Flags)
	}
	if buildStep.Env["VERSION"] != "${{ github.ref_name }}" {
		t.Errorf("release.yml: the build's VERSION is %q, want the tag (${{ github.ref_name }})", buildStep.Env["VERSION"])
	}
	for _, target := range []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"} {
		if !strings.Contains(buildStep.Run, target) {
			t.Errorf("release.yml builds no %s binary", target)
		}
	}
	if !strings.Contains(buildStep.Run, "sha256sum") {
		t.Errorf("release.yml publishes no checksums")
	}

	// The image: the name action.yml runs, multi-arch, vX.Y.Z, vX.Y and vX.
	image := wf.Env["IMAGE"]
	if got := loadActionYAML(t).Runs.Image; got != "docker://"+image+":v1" {
		t.Errorf("action.yml runs %q; release.yml pushes %s:vX (so want docker://%s:v1)", got, image, image)
	}
	job := wf.Jobs["image"]
	if job.Permissions["packages"] != "write" {
		t.Errorf("release.yml job image: permissions %v lack packages: write", job.Permissions)
	}
	if wf.Jobs["release"].Permissions["contents"] != "write" {
		t.Errorf("release.yml job release: permissions %v lack contents: write", wf.Jobs["release"].Permissions)
	}
	uses := map[string]workflowStep{}
	for _, s := range job.Steps {
		if s.Uses != "" {
			uses[strings.Split(s.Uses, "@")[0]] = s
		}
	}
	for _, a := range []string{"docker/setup-buildx-action", "docker/login-action", "docker/metadata-action", "docker/build-push-action"} {
		if _, ok := uses[a]; !ok {
			t.Errorf("release.yml job image does not use %s", a)
		}
	}
	tags := uses["docker/metadata-action"].With["tags"]
	for _, p := range []string{"pattern=v{{version}}", "pattern=v{{major}}.{{minor}}", "pattern=v{{major}}"} {
		if !strings.Contains(tags, p) {
			t.Errorf("release.yml image tags lack %s:\n%s", p, tags)
		}
	}
	push := uses["docker/build-push-action"].With
	if push["platforms"] != "linux/amd64,linux/arm64" || push["push"] != "true" ||
		!strings.Contains(push["build-args"], "VERSION=${{ github.ref_name }}") {
		t.Errorf("release.yml build-push-action with %v: want linux/amd64,linux/arm64, push, VERSION from the tag", push)
	}
}

func TestStaticWorkflowsMatchSchemaStore(t *testing.T) {
	sch := compileSchemaFile(t, workflowSchemaPath)
	for _, path := range []string{ciWorkflow, releaseWorkflow} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlAsJSON(t, data)); err != nil {
			t.Errorf("%s does not match SchemaStore's workflow schema:\n%v", path, err)
		}
	}
	// CI runs .ci/run, which runs govulncheck, with a PostgreSQL service.
	ci := loadWorkflow(t, ciWorkflow)
	runsScript := false
	for _, s := range ci.Jobs["test"].Steps {
		runsScript = runsScript || strings.TrimSpace(s.Run) == "bash .ci/run"
	}
	if !runsScript {
		t.Errorf("ci.yml job test does not run `bash .ci/run`")
	}
	script, err := os.ReadFile(repoRoot + "/.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"golang.org/x/vuln/cmd/govulncheck@v", "go vet ./...", "actionlint", "-race"} {
		if !strings.Contains(string(script), want) {
			t.Errorf(".ci/run lacks %q", want)
		}
	}

	var dep struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
		} `yaml:"updates"`
	}
	data, err := os.ReadFile(dependabotPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &dep); err != nil {
		t.Fatalf("%s: %v", dependabotPath, err)
	}
	var ecosystems []string
	for _, u := range dep.Updates {
		ecosystems = append(ecosystems, u.Ecosystem+" "+u.Directory)
	}
	slices.Sort(ecosystems)
	if dep.Version != 2 || !slices.Equal(ecosystems, []string{"docker /", "github-actions /", "gomod /"}) {
		t.Errorf("dependabot.yml: version %d, updates %q; want version 2 with gomod, github-actions and docker at /", dep.Version, ecosystems)
	}
}
