package main

// Tests of the files that set golive up elsewhere: the Slack app manifest
// (against Slack's own manifest schema, and its bot scopes against the Web API
// methods golive's Slack client calls), and the Kubernetes and Docker Compose
// files under deploy/, which no CI here applies.

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/sethvargo/go-envconfig"
	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/appsetup"
	"github.com/golive-dev/golive/bot/config"
)

const (
	slackManifestPath = repoRoot + "/slack-app-manifest.yml"
	slackSchemaDir    = repoRoot + "/testdata/schemas/slack-manifest-schema"
	slackWebAPISpec   = repoRoot + "/testdata/slack/slack-api-specs/web-api/slack_web_openapi_v2.json"
	slackClientDir    = repoRoot + "/bot/slackclient"
	// slackManifestHost is the host the manifest's URLs are written for;
	// first-run setup moves them to GOLIVE_PUBLIC_URL.
	slackManifestHost  = appsetup.PlaceholderURL
	deployDir          = repoRoot + "/deploy"
	k8sDir             = deployDir + "/kubernetes"
	composePath        = deployDir + "/docker-compose.yml"
	composeEnvExample  = deployDir + "/.env.example"
	releaseImagePrefix = "ghcr.io/golive-dev/golive:"
)

// slackMethodScopes maps each Web API method golive's Slack client can call
// to the bot scopes it needs for golive's use (public and private channels;
// golive does not read DMs). Every Method* constant of bot/slackclient needs
// an entry: adding a method means saying here which scope it takes.
var slackMethodScopes = map[string][]string{
	"auth.test":             nil,
	"chat.postMessage":      {"chat:write"},
	"chat.update":           {"chat:write"},
	"chat.postEphemeral":    {"chat:write"},
	"users.info":            {"users:read"},
	"conversations.info":    {"channels:read", "groups:read"},
	"conversations.list":    {"channels:read", "groups:read"}, // types=public_channel,private_channel
	"usergroups.users.list": {"usergroups:read"},
	"conversations.history": {"channels:history", "groups:history"},
	"conversations.replies": {"channels:history", "groups:history"},
	"response_url":          nil, // not a Web API method: the URL Slack gives with a command
}

type slackManifest struct {
	Features struct {
		SlashCommands []struct {
			Command string `yaml:"command"`
			URL     string `yaml:"url"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		EventSubscriptions any  `yaml:"event_subscriptions"`
		SocketMode         bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loadSlackManifest(t *testing.T) slackManifest {
	t.Helper()
	var m slackManifest
	if err := yaml.Unmarshal(readFile(t, slackManifestPath), &m); err != nil {
		t.Fatalf("%s: %v", slackManifestPath, err)
	}
	return m
}

// compileSlackManifestSchema compiles Slack's manifest schema from
// testdata: manifest.schema.json picks the version schema by
// _metadata.major_version and names them by their v0.5.0 raw URLs.
func compileSlackManifestSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const root = "https://github.com/slackapi/manifest-schema/blob/main/manifest.schema.json"
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(slackSchemaRegexp)
	for url, file := range map[string]string{
		root: "manifest.schema.json",
		"https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.1.0.0.json": "schemas/manifest.schema.1.0.0.json",
		"https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.2.0.0.json": "schemas/manifest.schema.2.0.0.json",
	} {
		f, err := os.Open(filepath.Join(slackSchemaDir, file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(root)
	if err != nil {
		t.Fatalf("compile Slack's manifest schema: %v", err)
	}
	return sch
}

// lookaheadRegexp is `^(?![class])rest`: Go's regexp has no lookahead.
type lookaheadRegexp struct {
	src        string
	not, match *regexp.Regexp
}

func (r lookaheadRegexp) String() string { return r.src }
func (r lookaheadRegexp) MatchString(s string) bool {
	return !r.not.MatchString(s) && r.match.MatchString(s)
}

// leadingLookahead is a negative lookahead of one bracket expression at the
// start, the only construct of Slack's schema Go's regexp lacks (its domain
// patterns: `^(?![\.\-])([-a-z0-9\.])+([a-z0-9])$`).
var leadingLookahead = regexp.MustCompile(`^\^\(\?!(\[[^\]]*\])\)`)

// slackSchemaRegexp compiles the schema's patterns with Go's regexp, plus
// the leading negative lookahead; anything else Go cannot compile fails.
func slackSchemaRegexp(src string) (jsonschema.Regexp, error) {
	if m := leadingLookahead.FindStringSubmatch(src); m != nil {
		not, err := regexp.Compile("^" + m[1])
		if err != nil {
			return nil, err
		}
		match, err := regexp.Compile("^" + src[len(m[0]):])
		if err != nil {
			return nil, err
		}
		return lookaheadRegexp{src: src, not: not, match: match}, nil
	}
	return regexp.Compile(src)
}

func TestManifestSlackMatchesSlacksSchema(t *testing.T) {
	sch := compileSlackManifestSchema(t)
	// The schema as compiled here tells Slack's own examples apart.
	for _, v := range []string{"v1", "v2"} {
		for file, valid := range map[string]bool{"manifest.valid.json": true, "manifest.invalid.json": false} {
			f, err := os.Open(filepath.Join(slackSchemaDir, "tests", v, file))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(doc); (err == nil) != valid {
				t.Fatalf("Slack's tests/%s/%s: valid %v, schema says %v", v, file, valid, err)
			}
		}
	}

	data := readFile(t, slackManifestPath)
	if err := sch.Validate(yamlAsJSON(t, data)); err != nil {
		t.Fatalf("%s does not match Slack's app manifest schema:\n%v", slackManifestPath, err)
	}
	for _, c := range []struct{ name, from, to string }{
		{"command without slash", "- command: /golive", "- command: golive"},
		{"unknown settings key", "  org_deploy_enabled: false", "  org_deploy: false"},
		{"relative request URL", "request_url: https://golive.example.com/slack/interactions", "request_url: /slack/interactions"},
		{"scopes not a list", "    bot:\n      - channels:history\n", "    bot: channels:history\n    user_optional:\n"},
	} {
		broken := strings.Replace(string(data), c.from, c.to, 1)
		if broken == string(data) {
			t.Fatalf("%s: %q not found in the manifest", c.name, c.from)
		}
		if err := sch.Validate(yamlAsJSON(t, []byte(broken))); err == nil {
			t.Errorf("%s: the schema accepted it", c.name)
		}
	}

	m := loadSlackManifest(t)
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/golive" ||
		m.Features.SlashCommands[0].URL != slackManifestHost+"/slack/commands" {
		t.Errorf("slash commands %+v: want /golive at %s/slack/commands", m.Features.SlashCommands, slackManifestHost)
	}
	if !m.Settings.Interactivity.IsEnabled || m.Settings.Interactivity.RequestURL != slackManifestHost+"/slack/interactions" {
		t.Errorf("interactivity %+v: want enabled at %s/slack/interactions", m.Settings.Interactivity, slackManifestHost)
	}
	if m.Settings.SocketMode || m.Settings.EventSubscriptions != nil || len(m.OAuthConfig.Scopes.User) > 0 {
		t.Errorf("golive takes HTTP requests and no events, with a bot token only: socket mode %v, events %v, user scopes %v",
			m.Settings.SocketMode, m.Settings.EventSubscriptions, m.OAuthConfig.Scopes.User)
	}
	// The two paths are golive's routes.
	router := string(readFile(t, repoRoot+"/handlers/router.go"))
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		if !strings.Contains(router, `r.Handle("`+path+`"`) {
			t.Errorf("handlers/router.go has no route %s", path)
		}
	}
}

// slackClientMethods parses bot/slackclient: the Web API method of each
// Method* constant, and for each method of *Client the Web API methods it
// calls, directly or through other methods of *Client.
func slackClientMethods(t *testing.T) (consts map[string]string, calls map[string][]string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgFiles, err := filepath.Glob(filepath.Join(slackClientDir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range pkgFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	consts = map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Method") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("slackclient.%s is not a string literal", n.Name)
					}
					consts[n.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	direct := map[string][]string{}   // Client method → Web API methods named in it
	internal := map[string][]string{} // Client method → selectors it uses
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Body == nil {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok || star.X.(*ast.Ident).Name != "Client" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Ident:
					if m, ok := consts[n.Name]; ok {
						direct[fn.Name.Name] = append(direct[fn.Name.Name], m)
					}
				case *ast.SelectorExpr:
					internal[fn.Name.Name] = append(internal[fn.Name.Name], n.Sel.Name)
				}
				return true
			})
			if _, ok := direct[fn.Name.Name]; !ok {
				direct[fn.Name.Name] = nil
			}
		}
	}
	calls = map[string][]string{}
	for name := range direct {
		seen := map[string]bool{}
		var visit func(string)
		visit = func(m string) {
			if seen[m] {
				return
			}
			seen[m] = true
			calls[name] = append(calls[name], direct[m]...)
			for _, sel := range internal[m] {
				if _, ok := direct[sel]; ok {
					visit(sel)
				}
			}
		}
		visit(name)
		slices.Sort(calls[name])
		calls[name] = slices.Compact(calls[name])
	}
	return consts, calls
}

// selectorsUsedByGolive returns every selector name (x.Name) in golive's
// non-test Go code outside the Slack client, the fake Slack server and the
// benchmarks: the
// Slack client methods golive may call, found by name (an over-estimate at
// worst).
func selectorsUsedByGolive(t *testing.T) map[string][]string {
	t.Helper()
	root, _ := filepath.Abs(repoRoot)
	used := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case strings.HasPrefix(d.Name(), ".") && rel != ".", d.Name() == "testdata",
				rel == "bot/slackclient", rel == "bot/fakeslack", rel == "bench":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				pos := fset.Position(s.Pos())
				used[s.Sel.Name] = append(used[s.Sel.Name], rel+":"+strconv.Itoa(pos.Line))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

func TestManifestSlackScopesCoverTheClient(t *testing.T) {
	consts, calls := slackClientMethods(t)
	if len(consts) < 5 || len(calls) < 5 {
		t.Fatalf("parsed %d Method constants and %d Client methods from bot/slackclient: the parser no longer fits the package", len(consts), len(calls))
	}
	for name, m := range consts {
		if _, ok := slackMethodScopes[m]; !ok {
			t.Errorf("slackclient.%s = %q has no entry in slackMethodScopes: add the bot scopes it needs (and to slack-app-manifest.yml)", name, m)
		}
	}

	// The table agrees with Slack's Web API description (which still names
	// chat:write by its old chat:write:bot form).
	var spec struct {
		Paths map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := jsonUnmarshalFile(slackWebAPISpec, &spec); err != nil {
		t.Fatal(err)
	}
	for method, scopes := range slackMethodScopes {
		ops, ok := spec.Paths["/"+method]
		if !ok {
			continue // response_url
		}
		var allowed []string
		for _, op := range ops {
			for _, sec := range op.Security {
				allowed = append(allowed, sec["slackAuth"]...)
			}
		}
		for _, s := range scopes {
			if !slices.ContainsFunc(allowed, func(a string) bool { return a == s || strings.HasPrefix(a, s+":") }) {
				t.Errorf("slackMethodScopes[%q] names %s; Slack's Web API description allows %v", method, s, allowed)
			}
		}
	}

	// The scopes golive needs: commands for /golive, plus those of every
	// Web API method reached from a Client method golive uses.
	need := map[string][]string{"commands": {"the /golive slash command"}}
	used := selectorsUsedByGolive(t)
	for clientMethod, webMethods := range calls {
		where, ok := used[clientMethod]
		if !ok || !ast.IsExported(clientMethod) {
			continue
		}
		for _, m := range webMethods {
			for _, s := range slackMethodScopes[m] {
				need[s] = append(need[s], m+" (slackclient.Client."+clientMethod+", used at "+where[0]+")")
			}
		}
	}
	have := loadSlackManifest(t).OAuthConfig.Scopes.Bot
	for s, why := range need {
		if !slices.Contains(have, s) {
			slices.Sort(why)
			t.Errorf("slack-app-manifest.yml lacks the bot scope %s, needed by %s", s, strings.Join(slices.Compact(why), ", "))
		}
	}
	for _, s := range have {
		if _, ok := need[s]; !ok {
			t.Errorf("slack-app-manifest.yml asks for the bot scope %s, which no Slack call of golive needs: remove it", s)
		}
	}
	if !slices.IsSorted(have) {
		t.Errorf("slack-app-manifest.yml bot scopes %v: keep them sorted", have)
	}
}

// configVariables returns the environment variables golive's configuration
// reads (the env tags of config.Config).
func configVariables() map[string]bool {
	vars := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if tag, ok := f.Tag.Lookup("env"); ok {
				vars[strings.TrimSpace(strings.Split(tag, ",")[0])] = true
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[config.Config]())
	return vars
}

// checkLoads checks that vars name only golive's variables and that golive's
// configuration loads from them.
func checkLoads(t *testing.T, where string, vars map[string]string) *config.Config {
	t.Helper()
	known := configVariables()
	for k := range vars {
		if !known[k] {
			t.Errorf("%s sets %s, which golive does not read", where, k)
		}
	}
	c, err := config.Load(context.Background(), envconfig.MapLookuper(vars))
	if err != nil {
		t.Fatalf("%s: golive's configuration does not load from it: %v", where, err)
	}
	return c
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	ReadinessProbe k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  k8sProbe `yaml:"livenessProbe"`
	StartupProbe   k8sProbe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	StringData map[string]string `yaml:"stringData"`
	Resources  []string          `yaml:"resources"` // Kustomization
	Spec       struct {
		Replicas     int `yaml:"replicas"`
		MinAvailable int `yaml:"minAvailable"`
		Selector     struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
					RunAsUser    int  `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct { // Service
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

func TestManifestKubernetes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy/kubernetes/*.yaml: %v", err)
	}
	objs := map[string]k8sObject{}
	raw := map[string]map[string]any{}
	for _, f := range files {
		var o k8sObject
		if err := yaml.Unmarshal(readFile(t, f), &o); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(readFile(t, f), &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if o.Kind == "" || o.APIVersion == "" {
			t.Errorf("%s: no kind or apiVersion", f)
		}
		objs[o.Kind] = o
		raw[o.Kind] = m
	}

	kust := objs["Kustomization"]
	slices.Sort(kust.Resources)
	if !slices.Equal(kust.Resources, []string{"deployment.yaml", "pdb.yaml", "service.yaml"}) {
		t.Errorf("kustomization.yaml resources %v: want deployment, service and pdb (the Secret is created by hand)", kust.Resources)
	}

	d := objs["Deployment"]
	spec := d.Spec.Template.Spec
	if d.Spec.Replicas != 3 {
		t.Errorf("Deployment replicas %d, want 3", d.Spec.Replicas)
	}
	labels := d.Spec.Template.Metadata.Labels
	if len(d.Spec.Selector.MatchLabels) == 0 || !mapSubset(d.Spec.Selector.MatchLabels, labels) {
		t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, labels)
	}
	if sc := spec.SecurityContext; !sc.RunAsNonRoot || strconv.Itoa(sc.RunAsUser) != imageNonrootUID {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and runAsUser %s (the image's nonroot user, owner of /data)", sc, imageNonrootUID)
	}
	if spec.TerminationGracePeriodSeconds <= 25 {
		t.Errorf("terminationGracePeriodSeconds %d: must exceed GOLIVE_SHUTDOWN_TIMEOUT (25s)", spec.TerminationGracePeriodSeconds)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if !strings.HasPrefix(c.Image, releaseImagePrefix) || !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("container image %q args %q: want %s… serve", c.Image, c.Args, releaseImagePrefix)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		t.Fatalf("container ports %+v: want one named http", c.Ports)
	}
	for name, p := range map[string]struct {
		probe k8sProbe
		path  string
	}{"readinessProbe": {c.ReadinessProbe, "/readyz"}, "livenessProbe": {c.LivenessProbe, "/healthz"}} {
		if p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != "http" {
			t.Errorf("%s %+v: want GET %s on port http", name, p.probe.HTTPGet, p.path)
		}
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	if s := c.SecurityContext; !s.ReadOnlyRootFilesystem || s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation ||
		!slices.Equal(s.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container securityContext %+v: want readOnlyRootFilesystem, no privilege escalation, drop ALL", s)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if _, port, _ := strings.Cut(env["GOLIVE_ADDR"], ":"); port != strconv.Itoa(c.Ports[0].ContainerPort) {
		t.Errorf("GOLIVE_ADDR %q does not listen on the containerPort %d", env["GOLIVE_ADDR"], c.Ports[0].ContainerPort)
	}

	// The Secret example: the name envFrom reads, and with the container's
	// env a configuration golive loads, on PostgreSQL.
	secret := objs["Secret"]
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != secret.Metadata.Name {
		t.Errorf("envFrom %+v: want the Secret %q of secret.example.yaml", c.EnvFrom, secret.Metadata.Name)
	}
	all := map[string]string{}
	for k, v := range secret.StringData {
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	cfg := checkLoads(t, "deploy/kubernetes (Secret example and container env)", all)
	if u := cfg.DatabaseURL.Reveal(); !strings.HasPrefix(u, "postgres://") {
		t.Errorf("the Secret example's GOLIVE_DATABASE_URL is not PostgreSQL: 3 replicas cannot share an SQLite file")
	}

	svcSelector, _ := raw["Service"]["spec"].(map[string]any)["selector"].(map[string]any)
	sel := map[string]string{}
	for k, v := range svcSelector {
		sel[k], _ = v.(string)
	}
	if len(sel) == 0 || !mapSubset(sel, labels) {
		t.Errorf("Service selector %v does not select golive's pods %v", sel, labels)
	}
	if svc := objs["Service"]; len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("Service ports %+v: want targetPort http", svc.Spec.Ports)
	}

	pdb := objs["PodDisruptionBudget"]
	if pdb.APIVersion != "policy/v1" || pdb.Spec.MinAvailable != 2 || !mapSubset(pdb.Spec.Selector.MatchLabels, labels) ||
		len(pdb.Spec.Selector.MatchLabels) == 0 {
		t.Errorf("PodDisruptionBudget %+v: want policy/v1, minAvailable 2, selecting golive's pods", pdb.Spec)
	}
}

func jsonUnmarshalFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func mapSubset(sub, super map[string]string) bool {
	for k, v := range sub {
		if super[k] != v {
			return false
		}
	}
	return true
}

func TestManifestCompose(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			User    string   `yaml:"user"`
			EnvFile []struct {
				Path     string `yaml:"path"`
				Required *bool  `yaml:"required"`
			} `yaml:"env_file"`
			Environment     map[string]string `yaml:"environment"`
			Volumes         []string          `yaml:"volumes"`
			ReadOnly        bool              `yaml:"read_only"`
			StopGracePeriod string            `yaml:"stop_grace_period"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	raw := readFile(t, composePath)
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	s, ok := compose.Services["golive"]
	if !ok || len(compose.Services) != 1 {
		t.Fatalf("docker-compose.yml services %v: want golive alone", compose.Services)
	}
	if !strings.HasPrefix(s.Image, releaseImagePrefix) || !slices.Equal(s.Command, []string{"serve"}) {
		t.Errorf("image %q command %q: want %s… serve", s.Image, s.Command, releaseImagePrefix)
	}
	if s.User != imageNonrootUID+":"+imageNonrootUID {
		t.Errorf("user %q: want %s:%s (the image's nonroot user, owner of /data)", s.User, imageNonrootUID, imageNonrootUID)
	}
	if !slices.ContainsFunc(s.Volumes, func(v string) bool {
		name, path, _ := strings.Cut(v, ":")
		_, declared := compose.Volumes[name]
		return path == "/data" && declared
	}) {
		t.Errorf("volumes %q: want a named volume at /data (golive.db, and the .env setup writes)", s.Volumes)
	}
	if !s.ReadOnly {
		t.Errorf("read_only is off")
	}
	if grace, err := time.ParseDuration(s.StopGracePeriod); err != nil || grace <= 25*time.Second {
		t.Errorf("stop_grace_period %q must exceed GOLIVE_SHUTDOWN_TIMEOUT (25s)", s.StopGracePeriod)
	}
	// deploy/.env is optional: without it golive starts in setup mode.
	if len(s.EnvFile) != 1 || s.EnvFile[0].Path != ".env" || s.EnvFile[0].Required == nil || *s.EnvFile[0].Required {
		t.Errorf("env_file %+v: want .env, required: false", s.EnvFile)
	}

	// .env.example with the compose environment loads, on SQLite, and its
	// key path is where docker-compose.yml (commented) mounts the key.
	vars := map[string]string{}
	for i, line := range strings.Split(string(readFile(t, composeEnvExample)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: not NAME=value: %q", composeEnvExample, i+1, line)
		}
		vars[k] = v
	}
	for k, v := range s.Environment {
		vars[k] = v
	}
	if _, ok := vars["GOLIVE_DATABASE_URL"]; ok {
		t.Errorf(".env.example sets GOLIVE_DATABASE_URL: the single node keeps SQLite in /data")
	}
	keyPath := vars["GITHUB_PRIVATE_KEY_PATH"]
	if keyPath == "" || !strings.Contains(string(raw), ":"+keyPath+":ro") {
		t.Errorf("docker-compose.yml shows no mount of the App's key at GITHUB_PRIVATE_KEY_PATH %q", keyPath)
	}
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, []byte("-----BEGIN RSA PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars["GITHUB_PRIVATE_KEY_PATH"] = key
	checkLoads(t, "deploy/.env.example with docker-compose.yml's environment", vars)

	ignored := string(readFile(t, deployDir+"/.gitignore"))
	for _, p := range []string{".env", "*.pem"} {
		if !slices.Contains(strings.Fields(ignored), p) {
			t.Errorf("deploy/.gitignore does not ignore %s (secrets)", p)
		}
	}
}
