package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// The web half of GitHub's App manifest flow
// (https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
// a browser posts a form with the field "manifest" (the manifest as JSON) to
// /settings/apps/new or /organizations/ORG/settings/apps/new, with ?state=…,
// on GitHub's web host. GitHub asks its user to name and create the App,
// then redirects to the manifest's redirect_url with ?code=…&state=…; the
// code is exchanged with POST /app-manifests/{code}/conversions (the API
// half, in handlers_app.go).
//
// The fake serves the web half on its own address, which is the web root
// ghclient.WebURL derives from its API URL. It skips the naming page: a
// valid manifest is registered at once and answered with the redirect. The
// conversion of its code returns the fake's own App (ID, private key), as
// AddManifestCode does, so the client can go on to authenticate as that
// App, with the manifest's name, events and permissions.

// RegisteredManifest is a manifest registered through the web flow.
type RegisteredManifest struct {
	// Org is the organization the App was registered for, "" for the
	// user's own account.
	Org string
	// State is the state the form carried.
	State string
	// Manifest is the decoded manifest.
	Manifest map[string]any
	// Code is the code handed back in the redirect.
	Code string
}

// RegisteredManifests returns the manifests registered through the web
// flow, oldest first.
func (s *Server) RegisteredManifests() []RegisteredManifest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RegisteredManifest(nil), s.st.registrations...)
}

// implicitEvents are delivered to every App and cannot be subscribed to;
// GitHub refuses them in default_events.
var implicitEvents = map[string]bool{"installation": true, "installation_repositories": true}

// serveWebFlow answers the manifest flow's web requests and reports whether
// r was one.
func (s *Server) serveWebFlow(w http.ResponseWriter, r *http.Request) bool {
	org := ""
	switch p := r.URL.Path; {
	case p == "/settings/apps/new":
	case strings.HasPrefix(p, "/organizations/") && strings.HasSuffix(p, "/settings/apps/new"):
		org = strings.TrimSuffix(strings.TrimPrefix(p, "/organizations/"), "/settings/apps/new")
		if org == "" || strings.Contains(org, "/") {
			return false
		}
	default:
		return false
	}
	page := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!doctype html><title>GitHub</title><p>%s</p>\n", htmlEscape(msg))
	}
	if r.Method != http.MethodPost {
		page(http.StatusNotFound, "Not Found")
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		page(http.StatusBadRequest, "Bad form")
		return true
	}
	raw := r.PostForm.Get("manifest")
	if raw == "" {
		page(http.StatusUnprocessableEntity, "Invalid GitHub App configuration: the manifest parameter is missing")
		return true
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		page(http.StatusUnprocessableEntity, "Invalid GitHub App configuration: the manifest is not a JSON object")
		return true
	}
	if problems := checkManifest(m); len(problems) > 0 {
		page(http.StatusUnprocessableEntity, "Invalid GitHub App configuration: "+strings.Join(problems, "; "))
		return true
	}
	redirect, err := url.Parse(m["redirect_url"].(string))
	if err != nil {
		page(http.StatusUnprocessableEntity, "Invalid GitHub App configuration: redirect_url is not a URL")
		return true
	}
	state := r.URL.Query().Get("state")
	code := randomHex(20)
	s.mu.Lock()
	s.st.manifests[code] = &ManifestConversion{
		Code: code, ID: s.appID, Slug: s.st.appSlug, Name: s.st.appName,
		ClientID: "Iv1." + randomHex(8), ClientSecret: randomHex(20), WebhookSecret: randomHex(20),
		PEM: string(s.keyPEM), Manifest: m,
	}
	s.st.registrations = append(s.st.registrations, RegisteredManifest{Org: org, State: state, Manifest: m, Code: code})
	s.mu.Unlock()

	q := redirect.Query()
	q.Set("code", code)
	if state != "" {
		q.Set("state", state)
	}
	redirect.RawQuery = q.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
	return true
}

// checkManifest lists what GitHub would refuse in a manifest.
func checkManifest(m map[string]any) []string {
	var problems []string
	str := func(key string) (string, bool) {
		v, ok := m[key].(string)
		return v, ok
	}
	absURL := func(v string) bool {
		u, err := url.Parse(v)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	if v, ok := str("url"); !ok || !absURL(v) {
		problems = append(problems, "url must be a URL")
	}
	if v, ok := str("redirect_url"); !ok || !absURL(v) {
		problems = append(problems, "redirect_url must be a URL (the fake redirects there)")
	}
	if h, present := m["hook_attributes"]; present {
		ha, ok := h.(map[string]any)
		if v, isStr := ha["url"].(string); !ok || !isStr || !absURL(v) {
			problems = append(problems, "hook_attributes.url must be a URL")
		}
	}
	if v, present := m["callback_urls"]; present {
		list, ok := v.([]any)
		if !ok || len(list) > 10 {
			problems = append(problems, "callback_urls must be a list of at most 10 URLs")
		}
		for _, u := range list {
			if s, isStr := u.(string); !isStr || !absURL(s) {
				problems = append(problems, "callback_urls must hold URLs")
			}
		}
	}
	if v, present := m["setup_url"]; present {
		if s, ok := v.(string); !ok || !absURL(s) {
			problems = append(problems, "setup_url must be a URL")
		}
	}
	if v, present := m["default_events"]; present {
		list, ok := v.([]any)
		if !ok {
			problems = append(problems, "default_events must be a list")
		}
		var refused []string
		for _, e := range list {
			if name, _ := e.(string); implicitEvents[name] {
				refused = append(refused, name)
			}
		}
		if len(refused) > 0 {
			sort.Strings(refused)
			problems = append(problems, "Default events unsupported: "+strings.Join(refused, ", "))
		}
	}
	if v, present := m["default_permissions"]; present {
		perms, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, "default_permissions must be an object")
		}
		for name, level := range perms {
			if l, _ := level.(string); l != "read" && l != "write" && l != "admin" {
				problems = append(problems, fmt.Sprintf("default_permissions.%s must be read or write", name))
			}
		}
	}
	return problems
}

// applyManifest shapes a conversion's answer after the manifest registered
// through the web flow. s.mu is held.
func (s *Server) applyManifest(body obj, m map[string]any) {
	if name, ok := m["name"].(string); ok && name != "" {
		body["name"] = name
	}
	if u, ok := m["url"].(string); ok {
		body["external_url"] = u
	}
	if d, ok := m["description"].(string); ok {
		body["description"] = d
	}
	if perms, ok := m["default_permissions"].(map[string]any); ok {
		p := obj{}
		for k, v := range perms {
			p[k] = v
		}
		if _, ok := p["metadata"]; !ok {
			p["metadata"] = "read"
		}
		body["permissions"] = p
	}
	if evs, ok := m["default_events"].([]any); ok {
		body["events"] = evs
	}
	if h, ok := m["hook_attributes"].(map[string]any); ok {
		if u, ok := h["url"].(string); ok {
			s.st.hookCfg["url"] = u
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
