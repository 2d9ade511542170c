package fakegithub

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// addDeployment stores d (ID and times filled in). s.mu is held.
func (s *Server) addDeployment(r *repoState, d Deployment) *Deployment {
	if d.ID == 0 {
		d.ID = s.st.id()
	}
	if d.Task == "" {
		d.Task = "deploy"
	}
	if d.Environment == "" {
		d.Environment = "production"
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.clock.Now().UTC().Truncate(time.Second)
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	s.ensureEnv(r, d.Environment)
	c := d
	r.deploys = append(r.deploys, &c)
	return &c
}

func (s *Server) listDeployments(c *reqCtx) response {
	var list []*Deployment
	for _, d := range c.repo.deploys {
		if v := c.q.Get("sha"); v != "" && v != d.SHA {
			continue
		}
		if v := c.q.Get("ref"); v != "" && v != d.Ref {
			continue
		}
		if v := c.q.Get("task"); v != "" && v != d.Task {
			continue
		}
		if v := c.q.Get("environment"); v != "" && v != d.Environment {
			continue
		}
		list = append(list, d)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ID > list[j].ID })
	items := []any{}
	for _, d := range list {
		items = append(items, s.deploymentJSON(c.repo, d))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) createDeployment(c *reqCtx) response {
	var req struct {
		Ref                   string          `json:"ref"`
		Task                  string          `json:"task"`
		Payload               json.RawMessage `json:"payload"`
		Environment           string          `json:"environment"`
		Description           *string         `json:"description"`
		TransientEnvironment  bool            `json:"transient_environment"`
		ProductionEnvironment *bool           `json:"production_environment"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	sha, _, found := c.repo.resolveRef(req.Ref)
	if !found {
		return s.unprocessable(c, "No ref found for: "+req.Ref)
	}
	d := Deployment{Ref: req.Ref, SHA: sha, Task: req.Task, Environment: req.Environment, Creator: s.actor(c), TransientEnvironment: req.TransientEnvironment, CreatedAt: c.now}
	if d.Environment == "" {
		d.Environment = "production"
	}
	d.ProductionEnvironment = d.Environment == "production"
	if req.ProductionEnvironment != nil {
		d.ProductionEnvironment = *req.ProductionEnvironment
	}
	if req.Description != nil {
		d.Description = *req.Description
	}
	if len(req.Payload) > 0 {
		var p any
		if json.Unmarshal(req.Payload, &p) == nil {
			if str, isStr := p.(string); isStr {
				// GitHub stores a string payload as the JSON it holds.
				var inner any
				if str == "" {
					p = map[string]any{}
				} else if json.Unmarshal([]byte(str), &inner) == nil {
					p = inner
				}
			}
			d.Payload = p
		}
	}
	stored := s.addDeployment(c.repo, d)
	return s.created(s.deploymentJSON(c.repo, stored), s.api("repos/%s/deployments/%d", c.repo.fullName(), stored.ID))
}

func (s *Server) deployment(c *reqCtx) *Deployment {
	id := c.int64Param("deployment_id")
	for _, d := range c.repo.deploys {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (s *Server) getDeployment(c *reqCtx) response {
	d := s.deployment(c)
	if d == nil {
		return s.notFound(c)
	}
	return okJSON(s.deploymentJSON(c.repo, d))
}

// deleteDeployment refuses, as GitHub does, to delete an active deployment
// unless it is the only one of its environment.
func (s *Server) deleteDeployment(c *reqCtx) response {
	d := s.deployment(c)
	if d == nil {
		return s.notFound(c)
	}
	active := len(d.Statuses) == 0 || d.Statuses[len(d.Statuses)-1].State != "inactive"
	others := 0
	for _, x := range c.repo.deploys {
		if x.ID != d.ID && x.Environment == d.Environment {
			others++
		}
	}
	if active && others > 0 {
		return s.unprocessable(c, "We cannot delete an active deployment unless it is the only deployment in a given environment.")
	}
	for i, x := range c.repo.deploys {
		if x.ID == d.ID {
			c.repo.deploys = append(c.repo.deploys[:i:i], c.repo.deploys[i+1:]...)
			break
		}
	}
	return noContent()
}

func (s *Server) listDeploymentStatuses(c *reqCtx) response {
	d := s.deployment(c)
	if d == nil {
		return s.notFound(c)
	}
	items := []any{}
	for i := len(d.Statuses) - 1; i >= 0; i-- {
		items = append(items, s.deploymentStatusJSON(c.repo, d, &d.Statuses[i]))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

// createDeploymentStatus adds a status; a success marks the environment's
// earlier non-transient, non-production deployments inactive unless
// auto_inactive is false, as GitHub does.
func (s *Server) createDeploymentStatus(c *reqCtx) response {
	d := s.deployment(c)
	if d == nil {
		return s.notFound(c)
	}
	var req struct {
		State          string `json:"state"`
		TargetURL      string `json:"target_url"`
		LogURL         string `json:"log_url"`
		Description    string `json:"description"`
		Environment    string `json:"environment"`
		EnvironmentURL string `json:"environment_url"`
		AutoInactive   *bool  `json:"auto_inactive"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	env := d.Environment
	if req.Environment != "" {
		env = req.Environment
		d.Environment = env
	}
	logURL := req.LogURL
	if logURL == "" {
		logURL = req.TargetURL
	}
	st := DeploymentStatus{ID: s.st.id(), State: req.State, Description: req.Description, Environment: env, EnvironmentURL: req.EnvironmentURL, LogURL: logURL, TargetURL: logURL, Creator: s.actor(c), CreatedAt: c.now}
	d.Statuses = append(d.Statuses, st)
	d.UpdatedAt = c.now
	if req.State == "success" && (req.AutoInactive == nil || *req.AutoInactive) {
		for _, x := range c.repo.deploys {
			if x.ID == d.ID || x.Environment != env || x.TransientEnvironment {
				continue
			}
			if n := len(x.Statuses); n > 0 && x.Statuses[n-1].State == "success" {
				x.Statuses = append(x.Statuses, DeploymentStatus{ID: s.st.id(), State: "inactive", Environment: env, Creator: st.Creator, CreatedAt: c.now})
				x.UpdatedAt = c.now
			}
		}
	}
	stored := &d.Statuses[len(d.Statuses)-1]
	return s.created(s.deploymentStatusJSON(c.repo, d, stored), s.api("repos/%s/deployments/%d/statuses/%d", c.repo.fullName(), d.ID, st.ID))
}

func (s *Server) getDeploymentStatus(c *reqCtx) response {
	d := s.deployment(c)
	if d == nil {
		return s.notFound(c)
	}
	id := c.int64Param("status_id")
	for i := range d.Statuses {
		if d.Statuses[i].ID == id {
			return okJSON(s.deploymentStatusJSON(c.repo, d, &d.Statuses[i]))
		}
	}
	return s.notFound(c)
}

type checkRunRequest struct {
	Name        *string `json:"name"`
	HeadSHA     string  `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title   string `json:"title"`
		Summary string `json:"summary"`
		Text    string `json:"text"`
	} `json:"output"`
}

func (req checkRunRequest) apply(cr *CheckRun, now time.Time) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&cr.Name, req.Name)
	set(&cr.DetailsURL, req.DetailsURL)
	set(&cr.ExternalID, req.ExternalID)
	set(&cr.Status, req.Status)
	if req.Conclusion != nil {
		cr.Conclusion = *req.Conclusion
		if req.Status == nil {
			cr.Status = "completed"
		}
	}
	parse := func(dst *time.Time, src *string) {
		if src != nil {
			if t, err := time.Parse(time.RFC3339, *src); err == nil {
				*dst = t.UTC()
			}
		}
	}
	parse(&cr.StartedAt, req.StartedAt)
	parse(&cr.CompletedAt, req.CompletedAt)
	if req.Output != nil {
		cr.Title, cr.Summary, cr.Text = req.Output.Title, req.Output.Summary, req.Output.Text
	}
	if cr.Status == "in_progress" && cr.StartedAt.IsZero() {
		cr.StartedAt = now
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
	}
}

func (s *Server) createCheckRun(c *reqCtx) response {
	var req checkRunRequest
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	sha, _, found := c.repo.resolveRef(req.HeadSHA)
	if !found || sha != req.HeadSHA && len(req.HeadSHA) != 40 {
		return s.validationFailed(c, "CheckRun", "head_sha", "invalid")
	}
	cr := &CheckRun{ID: s.st.id(), HeadSHA: sha, Status: "queued", StartedAt: c.now, AppID: s.appID}
	req.apply(cr, c.now)
	c.repo.checks = append(c.repo.checks, cr)
	return s.created(s.checkRunJSON(c.repo, cr), "")
}

func (s *Server) checkRun(c *reqCtx) *CheckRun {
	id := c.int64Param("check_run_id")
	for _, cr := range c.repo.checks {
		if cr.ID == id {
			return cr
		}
	}
	return nil
}

func (s *Server) getCheckRun(c *reqCtx) response {
	cr := s.checkRun(c)
	if cr == nil {
		return s.notFound(c)
	}
	return okJSON(s.checkRunJSON(c.repo, cr))
}

func (s *Server) updateCheckRun(c *reqCtx) response {
	cr := s.checkRun(c)
	if cr == nil {
		return s.notFound(c)
	}
	var req checkRunRequest
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	req.apply(cr, c.now)
	return okJSON(s.checkRunJSON(c.repo, cr))
}

// listCheckRunsForRef lists a commit's check runs; with filter=latest (the
// default) only the most recent run of each name.
func (s *Server) listCheckRunsForRef(c *reqCtx) response {
	sha, _, found := c.repo.resolveRef(c.p["ref"])
	if !found {
		return s.unprocessable(c, "No commit found for SHA: "+c.p["ref"])
	}
	latest := c.q.Get("filter") != "all"
	seen := map[string]bool{}
	var list []*CheckRun
	for i := len(c.repo.checks) - 1; i >= 0; i-- {
		cr := c.repo.checks[i]
		if cr.HeadSHA != sha {
			continue
		}
		if v := c.q.Get("check_name"); v != "" && v != cr.Name {
			continue
		}
		if v := c.q.Get("status"); v != "" && v != cr.Status {
			continue
		}
		if v := c.q.Get("app_id"); v != "" && v != itoa64(cr.AppID) {
			continue
		}
		if latest && seen[cr.Name] {
			continue
		}
		seen[cr.Name] = true
		list = append(list, cr)
	}
	items := []any{}
	for _, cr := range list {
		items = append(items, s.checkRunJSON(c.repo, cr))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "check_runs": page}, header: h}
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
