package fakegithub

import (
	"net/http"
	"strconv"
)

// routeSpec is how the fake answers one operation of the spec.
type routeSpec struct {
	auth  int    // one of the need* constants
	perm  string // installation permission required ("a|b": either)
	write bool   // whether write access to perm is required
	fn    func(s *Server, c *reqCtx) response
}

// routes maps "METHOD template" to its handler, for every operation of the
// REST subset.
var routes map[string]routeSpec

func init() {
	r := func(auth int, perm string, write bool, fn func(*Server, *reqCtx) response) routeSpec {
		return routeSpec{auth: auth, perm: perm, write: write, fn: fn}
	}
	const (
		read  = false
		write = true
	)
	routes = map[string]routeSpec{
		// The App itself.
		"GET /app":               r(needApp, "", read, (*Server).getApp),
		"GET /app/installations": r(needApp, "", read, (*Server).listInstallations),
		"GET /app/installations/{installation_id}":                r(needApp, "", read, (*Server).getInstallation),
		"POST /app/installations/{installation_id}/access_tokens": r(needApp, "", write, (*Server).createAccessToken),
		"GET /repos/{owner}/{repo}/installation":                  r(needAppRepo, "", read, (*Server).getRepoInstallation),
		"GET /app/hook/config":                                    r(needApp, "", read, (*Server).getHookConfig),
		"PATCH /app/hook/config":                                  r(needApp, "", write, (*Server).updateHookConfig),
		"GET /app/hook/deliveries":                                r(needApp, "", read, (*Server).listDeliveries),
		"GET /app/hook/deliveries/{delivery_id}":                  r(needApp, "", read, (*Server).getDelivery),
		"POST /app/hook/deliveries/{delivery_id}/attempts":        r(needApp, "", write, (*Server).redeliver),
		"POST /app-manifests/{code}/conversions":                  r(needNone, "", write, (*Server).convertManifest),
		"GET /installation/repositories":                          r(needInstall, "", read, (*Server).listInstallationRepos),

		// Repositories, users, teams.
		"GET /repos/{owner}/{repo}":                                                              r(needRepo, "metadata", read, (*Server).getRepo),
		"GET /repos/{owner}/{repo}/collaborators/{username}/permission":                          r(needRepo, "metadata", read, (*Server).getPermission),
		"GET /repos/{owner}/{repo}/teams":                                                        r(needRepo, "administration", read, (*Server).listRepoTeams),
		"GET /orgs/{org}/teams/{team_slug}/memberships/{username}":                               r(needOrg, "members", read, (*Server).getTeamMembership),
		"GET /users/{username}":                                                                  r(needOptional, "", read, (*Server).getUser),
		"GET /repos/{owner}/{repo}/environments":                                                 r(needRepo, "environments|actions", read, (*Server).listEnvironments),
		"GET /repos/{owner}/{repo}/environments/{environment_name}":                              r(needRepo, "environments|actions", read, (*Server).getEnvironment),
		"GET /repos/{owner}/{repo}/environments/{environment_name}/secrets":                      r(needRepo, "secrets|environments", read, (*Server).listEnvSecrets),
		"GET /repos/{owner}/{repo}/environments/{environment_name}/variables":                    r(needRepo, "actions_variables|environments", read, (*Server).listEnvVariables),
		"GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules":  r(needRepo, "environments|administration", read, (*Server).listProtectionRules),
		"POST /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules": r(needRepo, "administration", write, (*Server).createProtectionRule),
		"GET /repos/{owner}/{repo}/actions/secrets":                                              r(needRepo, "secrets", read, (*Server).listRepoSecrets),
		"GET /repos/{owner}/{repo}/actions/variables":                                            r(needRepo, "actions_variables", read, (*Server).listRepoVariables),

		// Issues, comments, labels, reactions.
		"GET /repos/{owner}/{repo}/issues":                                                  r(needRepo, "issues|pull_requests", read, (*Server).listIssues),
		"POST /repos/{owner}/{repo}/issues":                                                 r(needRepo, "issues", write, (*Server).createIssue),
		"GET /repos/{owner}/{repo}/issues/{issue_number}":                                   r(needRepo, "issues|pull_requests", read, (*Server).getIssue),
		"PATCH /repos/{owner}/{repo}/issues/{issue_number}":                                 r(needRepo, "issues|pull_requests", write, (*Server).updateIssue),
		"GET /repos/{owner}/{repo}/issues/{issue_number}/comments":                          r(needRepo, "issues|pull_requests", read, (*Server).listComments),
		"POST /repos/{owner}/{repo}/issues/{issue_number}/comments":                         r(needRepo, "issues|pull_requests", write, (*Server).createComment),
		"GET /repos/{owner}/{repo}/issues/comments/{comment_id}":                            r(needRepo, "issues|pull_requests", read, (*Server).getComment),
		"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}":                          r(needRepo, "issues|pull_requests", write, (*Server).updateComment),
		"DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}":                         r(needRepo, "issues|pull_requests", write, (*Server).deleteComment),
		"GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions":                  r(needRepo, "issues|pull_requests", read, (*Server).listCommentReactions),
		"POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions":                 r(needRepo, "issues|pull_requests", write, (*Server).createCommentReaction),
		"DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}": r(needRepo, "issues|pull_requests", write, (*Server).deleteCommentReaction),
		"GET /repos/{owner}/{repo}/issues/{issue_number}/reactions":                         r(needRepo, "issues|pull_requests", read, (*Server).listIssueReactions),
		"POST /repos/{owner}/{repo}/issues/{issue_number}/reactions":                        r(needRepo, "issues|pull_requests", write, (*Server).createIssueReaction),
		"DELETE /repos/{owner}/{repo}/issues/{issue_number}/reactions/{reaction_id}":        r(needRepo, "issues|pull_requests", write, (*Server).deleteIssueReaction),
		"GET /repos/{owner}/{repo}/issues/{issue_number}/labels":                            r(needRepo, "issues|pull_requests", read, (*Server).listIssueLabels),
		"POST /repos/{owner}/{repo}/issues/{issue_number}/labels":                           r(needRepo, "issues|pull_requests", write, (*Server).addIssueLabels),
		"DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}":                  r(needRepo, "issues|pull_requests", write, (*Server).removeIssueLabel),
		"GET /repos/{owner}/{repo}/issues/{issue_number}/timeline":                          r(needRepo, "issues|pull_requests", read, (*Server).listTimeline),
		"GET /repos/{owner}/{repo}/labels":                                                  r(needRepo, "issues|pull_requests", read, (*Server).listLabels),
		"POST /repos/{owner}/{repo}/labels":                                                 r(needRepo, "issues|pull_requests", write, (*Server).createLabel),
		"GET /repos/{owner}/{repo}/labels/{name}":                                           r(needRepo, "issues|pull_requests", read, (*Server).getLabel),

		// Git data, contents, pulls, statuses.
		"GET /repos/{owner}/{repo}/contents/{path}":             r(needRepo, "contents", read, (*Server).getContent),
		"PUT /repos/{owner}/{repo}/contents/{path}":             r(needRepo, "contents", write, (*Server).putContent),
		"DELETE /repos/{owner}/{repo}/contents/{path}":          r(needRepo, "contents", write, (*Server).deleteContent),
		"GET /repos/{owner}/{repo}/commits/{ref}":               r(needRepo, "contents", read, (*Server).getCommit),
		"GET /repos/{owner}/{repo}/compare/{basehead}":          r(needRepo, "contents", read, (*Server).compare),
		"GET /repos/{owner}/{repo}/branches/{branch}":           r(needRepo, "contents", read, (*Server).getBranch),
		"GET /repos/{owner}/{repo}/git/ref/{ref}":               r(needRepo, "contents", read, (*Server).getRef),
		"GET /repos/{owner}/{repo}/pulls/{pull_number}":         r(needRepo, "pull_requests", read, (*Server).getPull),
		"GET /repos/{owner}/{repo}/pulls/{pull_number}/commits": r(needRepo, "pull_requests", read, (*Server).listPullCommits),
		"GET /repos/{owner}/{repo}/commits/{ref}/status":        r(needRepo, "statuses", read, (*Server).getCombinedStatus),
		"POST /repos/{owner}/{repo}/statuses/{sha}":             r(needRepo, "statuses", write, (*Server).createStatus),

		// Actions.
		"GET /repos/{owner}/{repo}/actions/workflows":                                 r(needRepo, "actions", read, (*Server).listWorkflows),
		"GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}":                   r(needRepo, "actions", read, (*Server).getWorkflow),
		"POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches":       r(needRepo, "actions", write, (*Server).dispatchWorkflow),
		"GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs":              r(needRepo, "actions", read, (*Server).listWorkflowRuns),
		"GET /repos/{owner}/{repo}/actions/runs":                                      r(needRepo, "actions", read, (*Server).listRuns),
		"GET /repos/{owner}/{repo}/actions/runs/{run_id}":                             r(needRepo, "actions", read, (*Server).getRun),
		"POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel":                     r(needRepo, "actions", write, (*Server).cancelRun),
		"POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun":                      r(needRepo, "actions", write, (*Server).rerunRun),
		"POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs":          r(needRepo, "actions", write, (*Server).rerunFailedJobs),
		"GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs":                        r(needRepo, "actions", read, (*Server).listJobs),
		"GET /repos/{owner}/{repo}/actions/jobs/{job_id}":                             r(needRepo, "actions", read, (*Server).getJob),
		"GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals":                   r(needRepo, "actions", read, (*Server).listApprovals),
		"GET /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments":         r(needRepo, "actions", read, (*Server).listPendingDeployments),
		"POST /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments":        r(needRepo, "deployments", write, (*Server).reviewPendingDeployments),
		"POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule": r(needRepo, "deployments", write, (*Server).reviewCustomGate),

		// Deployments and checks.
		"GET /repos/{owner}/{repo}/deployments":                                      r(needRepo, "deployments", read, (*Server).listDeployments),
		"POST /repos/{owner}/{repo}/deployments":                                     r(needRepo, "deployments", write, (*Server).createDeployment),
		"GET /repos/{owner}/{repo}/deployments/{deployment_id}":                      r(needRepo, "deployments", read, (*Server).getDeployment),
		"DELETE /repos/{owner}/{repo}/deployments/{deployment_id}":                   r(needRepo, "deployments", write, (*Server).deleteDeployment),
		"GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses":             r(needRepo, "deployments", read, (*Server).listDeploymentStatuses),
		"POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses":            r(needRepo, "deployments", write, (*Server).createDeploymentStatus),
		"GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}": r(needRepo, "deployments", read, (*Server).getDeploymentStatus),
		"POST /repos/{owner}/{repo}/check-runs":                                      r(needRepo, "checks", write, (*Server).createCheckRun),
		"GET /repos/{owner}/{repo}/check-runs/{check_run_id}":                        r(needRepo, "checks", read, (*Server).getCheckRun),
		"PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}":                      r(needRepo, "checks", write, (*Server).updateCheckRun),
		"GET /repos/{owner}/{repo}/commits/{ref}/check-runs":                         r(needRepo, "checks", read, (*Server).listCheckRunsForRef),
	}
}

func okJSON(body any) response { return response{status: http.StatusOK, body: body} }

func noContent() response { return response{status: http.StatusNoContent} }

func (s *Server) created(body any, location string) response {
	h := http.Header{}
	if location != "" {
		h.Set("Location", location)
	}
	return response{status: http.StatusCreated, body: body, header: h}
}

func (s *Server) notFound(c *reqCtx) response {
	return s.errorResponse(http.StatusNotFound, "Not Found", s.spec.docURL(c.method, c.route))
}

// unprocessable is GitHub's 422 with a message of its own.
func (s *Server) unprocessable(c *reqCtx, message string) response {
	return s.errorResponse(http.StatusUnprocessableEntity, message, s.spec.docURL(c.method, c.route))
}

// validationFailed is GitHub's 422 "Validation Failed" with one error.
func (s *Server) validationFailed(c *reqCtx, resource, field, code string) response {
	resp := s.errorResponse(http.StatusUnprocessableEntity, "Validation Failed", s.spec.docURL(c.method, c.route))
	resp.body.(obj)["errors"] = []any{obj{"resource": resource, "field": field, "code": code}}
	return resp
}

func (c *reqCtx) int64Param(name string) int64 {
	v, _ := strconv.ParseInt(c.p[name], 10, 64)
	return v
}

func (c *reqCtx) intParam(name string) int {
	v, _ := strconv.Atoi(c.p[name])
	return v
}

// actor is the login the request acts as: the App's bot for installation
// tokens.
func (s *Server) actor(c *reqCtx) string { return s.st.botLogin() }
