package ghclient

import (
	"sort"
	"strings"
)

// OtherRoute is the template reported for a path that matches no known route,
// so that metric labels stay bounded.
const OtherRoute = "other"

// contentsRoute is the template whose GET responses are conditionally cached.
const contentsRoute = "/repos/{owner}/{repo}/contents/{path}"

// routeTable lists the REST routes golive calls, one template a line. A
// parameter written {name+} matches one or more path segments and {name*}
// zero or more (for values that may contain "/", such as refs and file paths);
// {name} matches exactly one segment. The markers are not part of the reported
// template.
const routeTable = `
/app
/app/installations
/app/installations/{installation_id}
/app/installations/{installation_id}/access_tokens
/app/hook/config
/app/hook/deliveries
/app/hook/deliveries/{delivery_id}
/app/hook/deliveries/{delivery_id}/attempts
/app-manifests/{code}/conversions
/installation/repositories
/rate_limit
/users/{username}
/orgs/{org}/teams/{team_slug}/memberships/{username}
/repos/{owner}/{repo}
/repos/{owner}/{repo}/installation
/repos/{owner}/{repo}/teams
/repos/{owner}/{repo}/collaborators/{username}/permission
/repos/{owner}/{repo}/issues
/repos/{owner}/{repo}/issues/comments
/repos/{owner}/{repo}/issues/comments/{comment_id}
/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions
/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}
/repos/{owner}/{repo}/issues/{issue_number}
/repos/{owner}/{repo}/issues/{issue_number}/comments
/repos/{owner}/{repo}/issues/{issue_number}/reactions
/repos/{owner}/{repo}/issues/{issue_number}/reactions/{reaction_id}
/repos/{owner}/{repo}/issues/{issue_number}/labels
/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}
/repos/{owner}/{repo}/issues/{issue_number}/timeline
/repos/{owner}/{repo}/labels
/repos/{owner}/{repo}/labels/{name}
/repos/{owner}/{repo}/contents/{path*}
/repos/{owner}/{repo}/pulls/{pull_number}
/repos/{owner}/{repo}/pulls/{pull_number}/commits
/repos/{owner}/{repo}/commits/{ref+}
/repos/{owner}/{repo}/commits/{ref+}/check-runs
/repos/{owner}/{repo}/commits/{ref+}/status
/repos/{owner}/{repo}/compare/{basehead+}
/repos/{owner}/{repo}/branches/{branch+}
/repos/{owner}/{repo}/git/ref/{ref+}
/repos/{owner}/{repo}/git/refs
/repos/{owner}/{repo}/git/refs/{ref+}
/repos/{owner}/{repo}/statuses/{sha}
/repos/{owner}/{repo}/check-runs
/repos/{owner}/{repo}/check-runs/{check_run_id}
/repos/{owner}/{repo}/deployments
/repos/{owner}/{repo}/deployments/{deployment_id}
/repos/{owner}/{repo}/deployments/{deployment_id}/statuses
/repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}
/repos/{owner}/{repo}/environments
/repos/{owner}/{repo}/environments/{environment_name+}
/repos/{owner}/{repo}/environments/{environment_name+}/secrets
/repos/{owner}/{repo}/environments/{environment_name+}/variables
/repos/{owner}/{repo}/environments/{environment_name+}/deployment_protection_rules
/repos/{owner}/{repo}/actions/secrets
/repos/{owner}/{repo}/actions/variables
/repos/{owner}/{repo}/actions/workflows
/repos/{owner}/{repo}/actions/workflows/{workflow_id}
/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches
/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs
/repos/{owner}/{repo}/actions/runs
/repos/{owner}/{repo}/actions/runs/{run_id}
/repos/{owner}/{repo}/actions/runs/{run_id}/cancel
/repos/{owner}/{repo}/actions/runs/{run_id}/rerun
/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs
/repos/{owner}/{repo}/actions/runs/{run_id}/jobs
/repos/{owner}/{repo}/actions/runs/{run_id}/approvals
/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments
/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule
/repos/{owner}/{repo}/actions/jobs/{job_id}
`

// segKind says what a template segment matches.
type segKind uint8

const (
	segLiteral segKind = iota // exactly this text
	segParam                  // any one segment
	segPlus                   // one or more segments
	segStar                   // zero or more segments
)

type routeSeg struct {
	kind segKind
	text string // literal text; unused for parameters
}

type route struct {
	template string
	segs     []routeSeg
	literals int
	greedy   int
}

// routes is routeTable compiled and ordered most specific first: more literal
// segments, then fewer multi-segment parameters, then table order.
var routes = compileRoutes(routeTable)

func compileRoutes(table string) []route {
	var rs []route
	for _, line := range strings.Split(table, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		r := route{}
		var out []string
		for _, s := range strings.Split(strings.TrimPrefix(line, "/"), "/") {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}"):
				r.segs = append(r.segs, routeSeg{kind: segPlus})
				r.greedy++
				out = append(out, strings.TrimSuffix(s, "+}")+"}")
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "*}"):
				r.segs = append(r.segs, routeSeg{kind: segStar})
				r.greedy++
				out = append(out, strings.TrimSuffix(s, "*}")+"}")
			case strings.HasPrefix(s, "{"):
				r.segs = append(r.segs, routeSeg{kind: segParam})
				out = append(out, s)
			default:
				r.segs = append(r.segs, routeSeg{kind: segLiteral, text: s})
				r.literals++
				out = append(out, s)
			}
		}
		r.template = "/" + strings.Join(out, "/")
		rs = append(rs, r)
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].literals != rs[j].literals {
			return rs[i].literals > rs[j].literals
		}
		return rs[i].greedy < rs[j].greedy
	})
	return rs
}

// RouteTemplate maps a REST path relative to the API root (for example
// "/repos/octo/hello/issues/7", without any GitHub Enterprise "/api/v3"
// prefix and without a query) to its OpenAPI route template (here
// "/repos/{owner}/{repo}/issues/{issue_number}"). A path that matches no route
// golive calls yields OtherRoute.
func RouteTemplate(path string) string {
	path = strings.Trim(path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(path, "/")
	}
	for i := range routes {
		if matchSegs(routes[i].segs, segs) {
			return routes[i].template
		}
	}
	return OtherRoute
}

func matchSegs(tmpl []routeSeg, segs []string) bool {
	if len(tmpl) == 0 {
		return len(segs) == 0
	}
	switch t := tmpl[0]; t.kind {
	case segLiteral:
		return len(segs) > 0 && segs[0] == t.text && matchSegs(tmpl[1:], segs[1:])
	case segParam:
		return len(segs) > 0 && segs[0] != "" && matchSegs(tmpl[1:], segs[1:])
	default:
		least := 1
		if t.kind == segStar {
			least = 0
		}
		// Prefer the shortest capture so that a trailing literal (".../status")
		// binds to the route that names it.
		for n := least; n <= len(segs); n++ {
			if matchSegs(tmpl[1:], segs[n:]) {
				return true
			}
		}
		return false
	}
}
