package ghclient_test

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"testing"

	"github.com/golive-dev/golive/bot/ghclient"
)

// multiSegment are parameters whose values may contain "/" in real calls.
var multiSegment = map[string]string{
	"path":             "docs/deploy/README.md",
	"ref":              "heads/feature/login",
	"basehead":         "main...feature/login",
	"branch":           "release/v1",
	"environment_name": "prod/eu",
}

var paramRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestRouteTemplateCoversOpenAPISubset fills in every path of the REST subset
// golive calls, with one- and multi-segment values, and expects the template
// back.
func TestRouteTemplateCoversOpenAPISubset(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/github/openapi/golive-rest-subset.json")
	if err != nil {
		t.Fatalf("read openapi subset: %v", err)
	}
	var spec struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("decode openapi subset: %v", err)
	}
	if len(spec.Paths) < 20 {
		t.Fatalf("openapi subset has only %d paths", len(spec.Paths))
	}
	var paths []string
	for p := range spec.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, tmpl := range paths {
		simple := paramRE.ReplaceAllString(tmpl, "x1")
		if got := ghclient.RouteTemplate(simple); got != tmpl {
			t.Errorf("RouteTemplate(%q) = %q, want %q", simple, got, tmpl)
		}
		deep := paramRE.ReplaceAllStringFunc(tmpl, func(m string) string {
			if v, ok := multiSegment[m[1:len(m)-1]]; ok {
				return v
			}
			return "v-42"
		})
		if got := ghclient.RouteTemplate(deep); got != tmpl {
			t.Errorf("RouteTemplate(%q) = %q, want %q", deep, got, tmpl)
		}
	}
}

func TestRouteTemplate(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/app", "/app"},
		{"/app/", "/app"},
		{"/app/installations/99/access_tokens", "/app/installations/{installation_id}/access_tokens"},
		{"/app/hook/deliveries/12/attempts", "/app/hook/deliveries/{delivery_id}/attempts"},
		{"/app-manifests/abc123/conversions", "/app-manifests/{code}/conversions"},
		{"/repos/octo/hello/issues/7", "/repos/{owner}/{repo}/issues/{issue_number}"},
		{"/repos/octo/hello/issues/comments/5", "/repos/{owner}/{repo}/issues/comments/{comment_id}"},
		{"/repos/octo/hello/issues/7/comments", "/repos/{owner}/{repo}/issues/{issue_number}/comments"},
		{"/repos/octo/hello/issues/7/labels/needs%2Freview", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"},
		{"/repos/octo/hello/contents", "/repos/{owner}/{repo}/contents/{path}"},
		{"/repos/octo/hello/contents/.golive.yml", "/repos/{owner}/{repo}/contents/{path}"},
		{"/repos/octo/hello/contents/a/b/c/status", "/repos/{owner}/{repo}/contents/{path}"},
		{"/repos/octo/hello/commits/abc123", "/repos/{owner}/{repo}/commits/{ref}"},
		{"/repos/octo/hello/commits/feature/x/status", "/repos/{owner}/{repo}/commits/{ref}/status"},
		{"/repos/octo/hello/commits/feature/x/check-runs", "/repos/{owner}/{repo}/commits/{ref}/check-runs"},
		{"/repos/octo/hello/git/ref/heads/feature/x", "/repos/{owner}/{repo}/git/ref/{ref}"},
		{"/repos/octo/hello/compare/main...feature%2Fx", "/repos/{owner}/{repo}/compare/{basehead}"},
		{"/repos/octo/hello/environments/prod/secrets", "/repos/{owner}/{repo}/environments/{environment_name}/secrets"},
		{"/repos/octo/hello/actions/runs/5/deployment_protection_rule", "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule"},
		{"/repos/octo/hello/deployments/3/statuses/4", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}"},
		{"/repos/octo/hello/collaborators/mona/permission", "/repos/{owner}/{repo}/collaborators/{username}/permission"},
		{"/repos/octo/hello", "/repos/{owner}/{repo}"},
		{"", ghclient.OtherRoute},
		{"/", ghclient.OtherRoute},
		{"/repos/octo", ghclient.OtherRoute},
		{"/repos/octo/hello/issues/7/unknown", ghclient.OtherRoute},
		{"/gists/1", ghclient.OtherRoute},
		{"/repos//hello/issues/7", ghclient.OtherRoute},
	} {
		if got := ghclient.RouteTemplate(tc.path); got != tc.want {
			t.Errorf("RouteTemplate(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
