package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Server) listWorkflows(c *reqCtx) response {
	items := []any{}
	for _, wf := range c.repo.workflows {
		items = append(items, s.workflowJSON(c.repo, wf))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "workflows": page}, header: h}
}

func (s *Server) getWorkflow(c *reqCtx) response {
	wf := c.repo.workflow(c.p["workflow_id"])
	if wf == nil {
		return s.notFound(c)
	}
	return okJSON(s.workflowJSON(c.repo, wf))
}

// dispatchWorkflow records a workflow_dispatch and queues the run GitHub
// would create, titled from the workflow's run-name template.
func (s *Server) dispatchWorkflow(c *reqCtx) response {
	wf := c.repo.workflow(c.p["workflow_id"])
	if wf == nil {
		return s.notFound(c)
	}
	var req struct {
		Ref              string         `json:"ref"`
		Inputs           map[string]any `json:"inputs"`
		ReturnRunDetails bool           `json:"return_run_details"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	if wf.NoDispatch {
		return s.unprocessable(c, "Workflow does not have 'workflow_dispatch' trigger")
	}
	if wf.State != "active" {
		return s.unprocessable(c, "Cannot trigger a 'workflow_dispatch' on a disabled workflow")
	}
	if wf.Inputs != nil {
		var unexpected []string
		for name := range req.Inputs {
			if !slices.Contains(wf.Inputs, name) {
				unexpected = append(unexpected, name)
			}
		}
		if len(unexpected) > 0 {
			sort.Strings(unexpected)
			quoted, _ := json.Marshal(unexpected)
			return s.unprocessable(c, "Unexpected inputs provided: "+strings.ReplaceAll(string(quoted), `","`, `", "`))
		}
	}
	sha, branch, found := c.repo.resolveRef(req.Ref)
	if !found {
		return s.unprocessable(c, "No ref found for: "+req.Ref)
	}
	refName := strings.TrimPrefix(strings.TrimPrefix(req.Ref, "refs/"), "heads/")
	if branch == "" {
		branch = refName
	}
	actor := s.actor(c)
	title := wf.Name
	if wf.RunName != "" {
		title = renderRunName(wf.RunName, req.Inputs, refName, actor)
	}
	run := s.addRun(c.repo, WorkflowRun{
		WorkflowID:   wf.ID,
		Name:         wf.Name,
		DisplayTitle: title,
		Event:        "workflow_dispatch",
		Status:       "queued",
		HeadBranch:   branch,
		HeadSHA:      sha,
		Actor:        actor,
		Inputs:       req.Inputs,
		CreatedAt:    c.now,
	})
	s.st.dispatches = append(s.st.dispatches, Dispatch{
		Time:           c.now,
		Repo:           c.repo.fullName(),
		WorkflowID:     wf.ID,
		WorkflowPath:   wf.Path,
		Ref:            req.Ref,
		Inputs:         req.Inputs,
		InstallationID: c.auth.installationID,
		RunID:          run.ID,
	})
	if req.ReturnRunDetails {
		full := c.repo.fullName()
		return okJSON(obj{
			"workflow_run_id": run.ID,
			"run_url":         s.api("repos/%s/actions/runs/%d", full, run.ID),
			"html_url":        fmt.Sprintf("%s%s/actions/runs/%d", web, full, run.ID),
		})
	}
	return noContent()
}

var exprRe = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// renderRunName substitutes the expressions of a run-name template that a
// dispatch determines.
func renderRunName(tmpl string, inputs map[string]any, ref, actor string) string {
	return exprRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		expr := exprRe.FindStringSubmatch(m)[1]
		switch {
		case strings.HasPrefix(expr, "inputs."):
			return fmt.Sprint(orEmpty(inputs[strings.TrimPrefix(expr, "inputs.")]))
		case strings.HasPrefix(expr, "github.event.inputs."):
			return fmt.Sprint(orEmpty(inputs[strings.TrimPrefix(expr, "github.event.inputs.")]))
		case expr == "github.ref_name":
			return ref
		case expr == "github.ref":
			return "refs/heads/" + ref
		case expr == "github.actor", expr == "github.triggering_actor":
			return actor
		case expr == "github.event_name":
			return "workflow_dispatch"
		}
		return ""
	})
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// filterRuns applies the list-runs query filters and sorts newest first.
func (s *Server) filterRuns(c *reqCtx, workflowID int64) ([]*WorkflowRun, response, bool) {
	var from, to time.Time
	if v := c.q.Get("created"); v != "" {
		var okRange bool
		from, to, okRange = parseDateRange(v)
		if !okRange {
			return nil, s.validationFailed(c, "WorkflowRun", "created", "invalid"), false
		}
	}
	var out []*WorkflowRun
	for _, run := range c.repo.runs {
		if workflowID != 0 && run.WorkflowID != workflowID {
			continue
		}
		if v := c.q.Get("actor"); v != "" && !strings.EqualFold(v, run.Actor) {
			continue
		}
		if v := c.q.Get("branch"); v != "" && v != run.HeadBranch {
			continue
		}
		if v := c.q.Get("event"); v != "" && v != run.Event {
			continue
		}
		if v := c.q.Get("status"); v != "" && v != run.Status && v != run.Conclusion {
			continue
		}
		if v := c.q.Get("head_sha"); v != "" && v != run.HeadSHA {
			continue
		}
		if v := c.q.Get("check_suite_id"); v != "" && v != strconv.FormatInt(run.CheckSuiteID, 10) {
			continue
		}
		if !inRange(run.CreatedAt, from, to) {
			continue
		}
		out = append(out, run)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, response{}, true
}

func (s *Server) runsPage(c *reqCtx, runs []*WorkflowRun) response {
	items := []any{}
	for _, run := range runs {
		items = append(items, s.runJSON(c.repo, run))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "workflow_runs": page}, header: h}
}

func (s *Server) listWorkflowRuns(c *reqCtx) response {
	wf := c.repo.workflow(c.p["workflow_id"])
	if wf == nil {
		return s.notFound(c)
	}
	runs, resp, valid := s.filterRuns(c, wf.ID)
	if !valid {
		return resp
	}
	return s.runsPage(c, runs)
}

func (s *Server) listRuns(c *reqCtx) response {
	runs, resp, valid := s.filterRuns(c, 0)
	if !valid {
		return resp
	}
	return s.runsPage(c, runs)
}

func (s *Server) runOr404(c *reqCtx) *WorkflowRun { return c.repo.run(c.int64Param("run_id")) }

func (s *Server) getRun(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	return okJSON(s.runJSON(c.repo, run))
}

func (s *Server) cancelRun(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	if run.Status == "completed" {
		return s.errorResponse(http.StatusConflict, "Cannot cancel a workflow run that is completed.", s.spec.docURL(c.method, c.route))
	}
	run.Status, run.Conclusion, run.UpdatedAt = "completed", "cancelled", c.now
	return response{status: http.StatusAccepted, body: obj{}}
}

func (s *Server) rerun(c *reqCtx, failedOnly bool) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	if run.Status != "completed" {
		return s.errorResponse(http.StatusForbidden, "This workflow run is not completed", s.spec.docURL(c.method, c.route))
	}
	if failedOnly && run.Conclusion == "success" {
		return s.errorResponse(http.StatusForbidden, "This workflow run has no failed jobs", s.spec.docURL(c.method, c.route))
	}
	run.RunAttempt++
	run.Status, run.Conclusion, run.UpdatedAt = "queued", "", c.now
	return response{status: http.StatusCreated, body: obj{}}
}

func (s *Server) rerunRun(c *reqCtx) response { return s.rerun(c, false) }

func (s *Server) rerunFailedJobs(c *reqCtx) response { return s.rerun(c, true) }

func (s *Server) listJobs(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	items := []any{}
	for _, j := range c.repo.jobs {
		if j.RunID == run.ID {
			items = append(items, s.jobJSON(c.repo, j))
		}
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "jobs": page}, header: h}
}

func (s *Server) getJob(c *reqCtx) response {
	id := c.int64Param("job_id")
	for _, j := range c.repo.jobs {
		if j.ID == id {
			return okJSON(s.jobJSON(c.repo, j))
		}
	}
	return s.notFound(c)
}

func (s *Server) envRefJSON(r *repoState, e *Environment) obj {
	return obj{
		"id":       e.ID,
		"node_id":  nodeID("EN", e.ID),
		"name":     e.Name,
		"url":      s.api("repos/%s/environments/%s", r.fullName(), pathEscape(e.Name)),
		"html_url": fmt.Sprintf("%s%s/deployments/activity_log?environments_filter=%s", web, r.fullName(), pathEscape(e.Name)),
	}
}

func (s *Server) listApprovals(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	items := []any{}
	for _, a := range c.repo.approvals {
		if a.RunID != run.ID {
			continue
		}
		envs := []any{}
		for _, id := range a.EnvironmentIDs {
			for _, e := range c.repo.envs {
				if e.ID == id {
					envs = append(envs, s.envRefJSON(c.repo, e))
				}
			}
		}
		items = append(items, obj{"environments": envs, "state": a.State, "user": s.userByLogin(a.User), "comment": a.Comment})
	}
	return okJSON(items)
}

func (s *Server) listPendingDeployments(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	items := []any{}
	for _, name := range c.repo.pending[run.ID] {
		e := c.repo.env(name)
		if e == nil {
			continue
		}
		reviewers := []any{}
		for _, login := range e.Reviewers {
			reviewers = append(reviewers, obj{"type": "User", "reviewer": s.userByLogin(login)})
		}
		items = append(items, obj{
			"environment":              s.envRefJSON(c.repo, e),
			"wait_timer":               e.WaitTimer,
			"wait_timer_started_at":    ts(run.CreatedAt),
			"current_user_can_approve": true,
			"reviewers":                reviewers,
		})
	}
	return okJSON(items)
}

// reviewPendingDeployments approves or rejects a run's pending environments;
// approving creates the deployments GitHub answers with.
func (s *Server) reviewPendingDeployments(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	var req struct {
		EnvironmentIDs []int64 `json:"environment_ids"`
		State          string  `json:"state"`
		Comment        string  `json:"comment"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	pending := c.repo.pending[run.ID]
	var reviewed []*Environment
	for _, id := range req.EnvironmentIDs {
		var match *Environment
		for _, name := range pending {
			if e := c.repo.env(name); e != nil && e.ID == id {
				match = e
			}
		}
		if match == nil {
			return s.unprocessable(c, fmt.Sprintf("Environment %d is not waiting for review", id))
		}
		reviewed = append(reviewed, match)
	}
	var rest []string
	for _, name := range pending {
		keep := true
		for _, e := range reviewed {
			if strings.EqualFold(e.Name, name) {
				keep = false
			}
		}
		if keep {
			rest = append(rest, name)
		}
	}
	c.repo.pending[run.ID] = rest
	c.repo.approvals = append(c.repo.approvals, PendingReview{Time: c.now, RunID: run.ID, EnvironmentIDs: req.EnvironmentIDs, State: req.State, Comment: req.Comment, User: s.actor(c)})
	items := []any{}
	if req.State == "approved" {
		for _, e := range reviewed {
			d := s.addDeployment(c.repo, Deployment{Ref: run.HeadBranch, SHA: run.HeadSHA, Task: "deploy", Environment: e.Name, Creator: run.Actor, CreatedAt: c.now})
			items = append(items, s.deploymentJSON(c.repo, d))
		}
	} else {
		run.Status, run.Conclusion, run.UpdatedAt = "completed", "failure", c.now
	}
	return okJSON(items)
}

// reviewCustomGate records a deployment protection rule's verdict.
func (s *Server) reviewCustomGate(c *reqCtx) response {
	run := s.runOr404(c)
	if run == nil {
		return s.notFound(c)
	}
	var req struct {
		EnvironmentName string `json:"environment_name"`
		State           string `json:"state"`
		Comment         string `json:"comment"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	s.st.gateReviews = append(s.st.gateReviews, GateReview{
		Time:            c.now,
		Repo:            c.repo.fullName(),
		RunID:           run.ID,
		EnvironmentName: req.EnvironmentName,
		State:           req.State,
		Comment:         req.Comment,
		InstallationID:  c.auth.installationID,
	})
	if req.State == "rejected" {
		run.Status, run.Conclusion, run.UpdatedAt = "completed", "failure", c.now
	}
	return noContent()
}
