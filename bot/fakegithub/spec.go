package fakegithub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// DefaultSpecPath returns the path of the REST subset that New loads when
// Options.SpecPath is empty: testdata/github/openapi/golive-rest-subset.json at
// the root of the module this package's source lives in. It is found from the
// source file's location, so it only exists where the source tree does.
func DefaultSpecPath() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "github", "openapi", "golive-rest-subset.json")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "github", "openapi", "golive-rest-subset.json")
}

// Spec is a loaded, validated OpenAPI description with its router. It is
// immutable once loaded and shared by every Server that uses the same file.
type Spec struct {
	Path   string
	Doc    *openapi3.T
	Router routers.Router

	greedy []greedyRoute
}

// greedyRoute matches a spec path whose parameter may hold slashes (a file
// path, a ref, a branch, a base...head pair): GitHub accepts them unescaped
// there, but gorilla/mux never lets a variable span segments.
type greedyRoute struct {
	template string
	re       *regexp.Regexp
	names    []string
	greedy   map[string]bool
}

type specEntry struct {
	once sync.Once
	spec *Spec
	err  error
}

var (
	specMu    sync.Mutex
	specCache = map[string]*specEntry{}
)

// LoadSpec loads and validates the OpenAPI description at path, once per
// process: later calls with the same path return the same *Spec (or error).
func LoadSpec(path string) (*Spec, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving spec path %q: %w", path, err)
	}
	specMu.Lock()
	e, ok := specCache[abs]
	if !ok {
		e = &specEntry{}
		specCache[abs] = e
	}
	specMu.Unlock()
	e.once.Do(func() { e.spec, e.err = loadSpec(abs) })
	return e.spec, e.err
}

// greedyParams names the parameters of /repos/ routes that GitHub lets carry
// unescaped slashes (file paths, refs, branches, base...head, label names),
// as go-github sends them.
var greedyParams = map[string]bool{"path": true, "ref": true, "basehead": true, "branch": true, "name": true}

func loadSpec(path string) (*Spec, error) {
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading OpenAPI description %q: %w", path, err)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validating OpenAPI description %q: %w", path, err)
	}
	// Route on the path alone: the fake is not served from api.github.com.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("building router for %q: %w", path, err)
	}
	s := &Spec{Path: path, Doc: doc, Router: router}
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		if g, ok := compileGreedy(tmpl); ok {
			s.greedy = append(s.greedy, g)
		}
	}
	// Most literal segments first, so ".../commits/{ref}/status" wins over
	// ".../commits/{ref}" for "commits/a/b/status".
	sort.SliceStable(s.greedy, func(i, j int) bool {
		return strings.Count(s.greedy[i].template, "/") > strings.Count(s.greedy[j].template, "/")
	})
	return s, nil
}

var paramRe = regexp.MustCompile(`\{([^{}]+)\}`)

func compileGreedy(tmpl string) (greedyRoute, bool) {
	g := greedyRoute{template: tmpl, greedy: map[string]bool{}}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	hasGreedy := false
	for _, m := range paramRe.FindAllStringSubmatchIndex(tmpl, -1) {
		b.WriteString(regexp.QuoteMeta(tmpl[last:m[0]]))
		name := tmpl[m[2]:m[3]]
		g.names = append(g.names, name)
		if greedyParams[name] && strings.HasPrefix(tmpl, "/repos/") {
			g.greedy[name] = true
			hasGreedy = true
			b.WriteString("(.+?)")
		} else {
			b.WriteString("([^/]+)")
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]))
	b.WriteString("$")
	if !hasGreedy {
		return g, false
	}
	g.re = regexp.MustCompile(b.String())
	return g, true
}

// route is the outcome of matching a request against the spec.
type route struct {
	kin      *routers.Route
	template string
	params   map[string]string // unescaped
	raw      map[string]string // as routed
	kinReq   *http.Request     // the request as presented to kin-openapi
}

// errNoOperation reports a request whose method and path the spec lacks.
var errNoOperation = errors.New("no operation in the spec matches")

// findRoute matches r against the spec, letting parameters GitHub accepts
// unescaped carry slashes.
func (s *Spec) findRoute(r *http.Request, body []byte) (*route, error) {
	kr := r.Clone(r.Context())
	kr.Body = http.NoBody
	kr.URL = cloneURL(r.URL)
	kr.Host = "api.github.com"
	kr.URL.Host = ""
	kr.URL.Scheme = ""
	kinRoute, vars, err := s.Router.FindRoute(kr)
	if errors.Is(err, routers.ErrPathNotFound) {
		if esc, ok := s.escapeGreedy(kr.URL.EscapedPath()); ok {
			u := cloneURL(kr.URL)
			if p, perr := url.PathUnescape(esc); perr == nil {
				u.Path = p
				u.RawPath = esc
				kr.URL = u
				kinRoute, vars, err = s.Router.FindRoute(kr)
			}
		}
	}
	if err != nil {
		if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
			return nil, fmt.Errorf("%w %s %s", errNoOperation, r.Method, r.URL.Path)
		}
		return nil, fmt.Errorf("routing %s %s: %w", r.Method, r.URL.Path, err)
	}
	rt := &route{kin: kinRoute, template: kinRoute.Path, raw: vars, params: map[string]string{}}
	for k, v := range vars {
		if u, err := url.PathUnescape(v); err == nil {
			rt.params[k] = u
		} else {
			rt.params[k] = v
		}
	}
	kr.Body = readCloser(body)
	kr.ContentLength = int64(len(body))
	kr.GetBody = nil
	rt.kinReq = kr
	return rt, nil
}

// escapeGreedy rewrites an escaped request path so that slashes inside a
// greedy parameter become %2F; ok reports whether a greedy template matched.
func (s *Spec) escapeGreedy(escaped string) (string, bool) {
	for _, g := range s.greedy {
		m := g.re.FindStringSubmatchIndex(escaped)
		if m == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for i, name := range g.names {
			start, end := m[2+2*i], m[3+2*i]
			b.WriteString(escaped[last:start])
			v := escaped[start:end]
			if g.greedy[name] {
				v = strings.ReplaceAll(v, "/", "%2F")
			}
			b.WriteString(v)
			last = end
		}
		b.WriteString(escaped[last:])
		return b.String(), true
	}
	return "", false
}

// validateRequest checks rt's request (parameters and body) against the
// operation. It never checks credentials: the fake does that itself.
func (s *Spec) validateRequest(ctx context.Context, rt *route) error {
	in := &openapi3filter.RequestValidationInput{
		Request:    rt.kinReq,
		PathParams: rt.raw,
		Route:      rt.kin,
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
	}
	return openapi3filter.ValidateRequest(ctx, in)
}

// ValidateResponse checks one response (status, headers, body) the fake sent
// for request r against the spec. It is exported so that tests can assert
// that every body the fake returns has the shape GitHub documents.
func (s *Spec) ValidateResponse(ctx context.Context, r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	rt, err := s.findRoute(r, reqBody)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    rt.kinReq,
			PathParams: rt.raw,
			Route:      rt.kin,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: false,
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Errorf("validating response %d to %s %s: %w", status, r.Method, rt.template, err)
	}
	return nil
}

// operation returns the spec operation for method and template, or nil.
func (s *Spec) operation(method, template string) *openapi3.Operation {
	item := s.Doc.Paths.Value(template)
	if item == nil {
		return nil
	}
	return item.GetOperation(method)
}

// responseSchema returns the JSON schema the spec gives for a response, or
// nil when it documents none.
func (s *Spec) responseSchema(method, template string, status int) *openapi3.SchemaRef {
	op := s.operation(method, template)
	if op == nil || op.Responses == nil {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	return mt.Schema
}

// docURL returns the documentation_url GitHub would put in errors for the
// operation, or the REST API root.
func (s *Spec) docURL(method, template string) string {
	if op := s.operation(method, template); op != nil && op.ExternalDocs != nil && op.ExternalDocs.URL != "" {
		return op.ExternalDocs.URL
	}
	return "https://docs.github.com/rest"
}

func cloneURL(u *url.URL) *url.URL {
	c := *u
	return &c
}

func readCloser(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
