// Package appsetup is golive's first run: it registers the GitHub App from
// the manifest app.yml through GitHub's manifest flow, exchanges the code
// GitHub sends back for the App's credentials, and keeps them (and the Slack
// app's secrets) in the .env file. The HTTP pages that drive it are in
// handlers; cmd/golive starts it when no GitHub App is configured.
package appsetup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// PlaceholderURL is the origin app.yml's URLs are written against; For
// replaces it with golive's public URL.
const PlaceholderURL = "https://golive.example.com"

// Manifest is a GitHub App manifest, as documented at
// https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest.
type Manifest struct {
	Name                  string            `yaml:"name" json:"name,omitempty"`
	URL                   string            `yaml:"url" json:"url"`
	Description           string            `yaml:"description" json:"description,omitempty"`
	Public                bool              `yaml:"public" json:"public"`
	HookAttributes        *HookAttributes   `yaml:"hook_attributes" json:"hook_attributes,omitempty"`
	RedirectURL           string            `yaml:"redirect_url" json:"redirect_url,omitempty"`
	CallbackURLs          []string          `yaml:"callback_urls" json:"callback_urls,omitempty"`
	SetupURL              string            `yaml:"setup_url" json:"setup_url,omitempty"`
	RequestOAuthOnInstall bool              `yaml:"request_oauth_on_install" json:"request_oauth_on_install,omitempty"`
	SetupOnUpdate         bool              `yaml:"setup_on_update" json:"setup_on_update,omitempty"`
	DefaultPermissions    map[string]string `yaml:"default_permissions" json:"default_permissions,omitempty"`
	DefaultEvents         []string          `yaml:"default_events" json:"default_events,omitempty"`
}

// HookAttributes configures the App's webhook.
type HookAttributes struct {
	URL    string `yaml:"url" json:"url"`
	Active *bool  `yaml:"active" json:"active,omitempty"`
}

// ParseManifest reads app.yml. Unknown keys are errors, and every URL that
// golive serves must be written against PlaceholderURL.
func ParseManifest(data []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse the app manifest: %w", err)
	}
	var errs []error
	if m.URL == "" {
		errs = append(errs, errors.New("url is required"))
	}
	if m.HookAttributes == nil || m.HookAttributes.URL == "" {
		errs = append(errs, errors.New("hook_attributes.url is required: golive receives webhooks"))
	}
	if m.RedirectURL == "" {
		errs = append(errs, errors.New("redirect_url is required: setup receives GitHub's code there"))
	}
	m.eachServedURL(func(field string, u *string) {
		if !strings.HasPrefix(*u, PlaceholderURL+"/") {
			errs = append(errs, fmt.Errorf("%s %q must start with %s/", field, *u, PlaceholderURL))
		}
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("parse the app manifest: %w", errors.Join(errs...))
	}
	return &m, nil
}

// eachServedURL calls fn with every URL of the manifest that points at golive.
func (m *Manifest) eachServedURL(fn func(field string, u *string)) {
	if m.HookAttributes != nil && m.HookAttributes.URL != "" {
		fn("hook_attributes.url", &m.HookAttributes.URL)
	}
	if m.RedirectURL != "" {
		fn("redirect_url", &m.RedirectURL)
	}
	for i := range m.CallbackURLs {
		fn(fmt.Sprintf("callback_urls[%d]", i), &m.CallbackURLs[i])
	}
	if m.SetupURL != "" {
		fn("setup_url", &m.SetupURL)
	}
}

// For returns a copy of the manifest whose golive URLs start with publicURL
// (an absolute http(s) URL, possibly with a path) instead of PlaceholderURL.
func (m *Manifest) For(publicURL string) (*Manifest, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("golive's public URL %q is not an absolute http(s) URL without query", publicURL)
	}
	base := strings.TrimSuffix(publicURL, "/")
	c := *m
	if m.HookAttributes != nil {
		h := *m.HookAttributes
		c.HookAttributes = &h
	}
	c.CallbackURLs = append([]string(nil), m.CallbackURLs...)
	c.DefaultEvents = append([]string(nil), m.DefaultEvents...)
	c.DefaultPermissions = make(map[string]string, len(m.DefaultPermissions))
	for k, v := range m.DefaultPermissions {
		c.DefaultPermissions[k] = v
	}
	c.eachServedURL(func(_ string, u *string) {
		*u = base + strings.TrimPrefix(*u, PlaceholderURL)
	})
	return &c, nil
}

// JSON is the manifest as the manifest flow's form field carries it.
func (m *Manifest) JSON() ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode the app manifest: %w", err)
	}
	return b, nil
}

// Permission is one of the manifest's permissions.
type Permission struct{ Name, Access string }

// Permissions lists the manifest's permissions, sorted by name.
func (m *Manifest) Permissions() []Permission {
	out := make([]Permission, 0, len(m.DefaultPermissions))
	for k, v := range m.DefaultPermissions {
		out = append(out, Permission{Name: k, Access: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WebhookURL is where the App sends its webhooks.
func (m *Manifest) WebhookURL() string {
	if m.HookAttributes == nil {
		return ""
	}
	return m.HookAttributes.URL
}

// orgLogin matches a GitHub organization login: alphanumerics and single
// hyphens, not at either end, at most 39 characters.
var orgLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// ValidOrg reports whether org can be a GitHub organization's login.
func ValidOrg(org string) bool { return orgLogin.MatchString(org) }

// RegisterURL is where the manifest form is posted on GitHub's web host
// webURL (https://github.com, or a GitHub Enterprise Server's root): the
// signed-in user's account, or organization org when it is not empty. state
// comes back with GitHub's redirect.
func RegisterURL(webURL, org, state string) string {
	base := strings.TrimSuffix(webURL, "/")
	path := "/settings/apps/new"
	if org != "" {
		path = "/organizations/" + url.PathEscape(org) + "/settings/apps/new"
	}
	return base + path + "?" + url.Values{"state": {state}}.Encode()
}

// SlackManifest is the Slack app manifest (slack-app-manifest.yml) with its
// URLs moved from PlaceholderURL to publicURL: as YAML to paste into Slack's
// "From an app manifest" dialog, and the address of that dialog prefilled
// with it.
type SlackManifest struct {
	YAML      string
	CreateURL string
}

// SlackManifestFor rebases the Slack app manifest on publicURL.
func SlackManifestFor(data []byte, publicURL string) (SlackManifest, error) {
	base := strings.TrimSuffix(publicURL, "/")
	text := strings.ReplaceAll(string(data), PlaceholderURL+"/", base+"/")
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return SlackManifest{}, fmt.Errorf("parse the slack app manifest: %w", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return SlackManifest{}, fmt.Errorf("encode the slack app manifest: %w", err)
	}
	return SlackManifest{
		YAML:      text,
		CreateURL: "https://api.slack.com/apps?" + url.Values{"new_app": {"1"}, "manifest_json": {string(js)}}.Encode(),
	}, nil
}
