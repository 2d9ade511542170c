package fakegithub

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"
)

// This file renders the fake's state as GitHub's JSON bodies. Only the
// meaningful fields are set here; the shaper adds what else the spec
// requires. All functions run with s.mu held.

const web = "https://github.com/"

// api returns an absolute URL on the fake for a path without leading slash.
func (s *Server) api(format string, args ...any) string {
	return s.URL + fmt.Sprintf(format, args...)
}

func tsOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

func strOrNil(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *Server) userJSON(u *userState) obj {
	login := pathEscape(u.login)
	html := web + u.login
	if u.typ == "Bot" {
		html = web + "apps/" + strings.TrimSuffix(u.login, "[bot]")
	}
	return obj{
		"login":               u.login,
		"id":                  u.id,
		"node_id":             nodeID(map[string]string{"Organization": "O", "Bot": "BOT"}[u.typ]+"U", u.id),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.id),
		"gravatar_id":         "",
		"url":                 s.api("users/%s", login),
		"html_url":            html,
		"followers_url":       s.api("users/%s/followers", login),
		"following_url":       s.api("users/%s/following{/other_user}", login),
		"gists_url":           s.api("users/%s/gists{/gist_id}", login),
		"starred_url":         s.api("users/%s/starred{/owner}{/repo}", login),
		"subscriptions_url":   s.api("users/%s/subscriptions", login),
		"organizations_url":   s.api("users/%s/orgs", login),
		"repos_url":           s.api("users/%s/repos", login),
		"events_url":          s.api("users/%s/events{/privacy}", login),
		"received_events_url": s.api("users/%s/received_events", login),
		"type":                u.typ,
		"user_view_type":      "public",
		"site_admin":          false,
	}
}

func (s *Server) userByLogin(login string) obj { return s.userJSON(s.st.user(login, "")) }

func (s *Server) repoJSON(r *repoState) obj {
	full := r.fullName()
	base := s.api("repos/%s", full)
	visibility := "public"
	if r.opts.Private {
		visibility = "private"
	}
	o := obj{
		"id":                r.id,
		"node_id":           nodeID("R", r.id),
		"name":              r.name,
		"full_name":         full,
		"owner":             s.userJSON(r.owner),
		"private":           r.opts.Private,
		"visibility":        visibility,
		"html_url":          web + full,
		"description":       strOrNil(r.opts.Description),
		"fork":              r.opts.Fork,
		"url":               base,
		"archive_url":       base + "/{archive_format}{/ref}",
		"assignees_url":     base + "/assignees{/user}",
		"blobs_url":         base + "/git/blobs{/sha}",
		"branches_url":      base + "/branches{/branch}",
		"collaborators_url": base + "/collaborators{/collaborator}",
		"comments_url":      base + "/comments{/number}",
		"commits_url":       base + "/commits{/sha}",
		"compare_url":       base + "/compare/{base}...{head}",
		"contents_url":      base + "/contents/{+path}",
		"contributors_url":  base + "/contributors",
		"deployments_url":   base + "/deployments",
		"downloads_url":     base + "/downloads",
		"events_url":        base + "/events",
		"forks_url":         base + "/forks",
		"git_commits_url":   base + "/git/commits{/sha}",
		"git_refs_url":      base + "/git/refs{/sha}",
		"git_tags_url":      base + "/git/tags{/sha}",
		"git_url":           "git://github.com/" + full + ".git",
		"issue_comment_url": base + "/issues/comments{/number}",
		"issue_events_url":  base + "/issues/events{/number}",
		"issues_url":        base + "/issues{/number}",
		"keys_url":          base + "/keys{/key_id}",
		"labels_url":        base + "/labels{/name}",
		"languages_url":     base + "/languages",
		"merges_url":        base + "/merges",
		"milestones_url":    base + "/milestones{/number}",
		"notifications_url": base + "/notifications{?since,all,participating}",
		"pulls_url":         base + "/pulls{/number}",
		"releases_url":      base + "/releases{/id}",
		"ssh_url":           "git@github.com:" + full + ".git",
		"stargazers_url":    base + "/stargazers",
		"statuses_url":      base + "/statuses/{sha}",
		"subscribers_url":   base + "/subscribers",
		"subscription_url":  base + "/subscription",
		"tags_url":          base + "/tags",
		"teams_url":         base + "/teams",
		"trees_url":         base + "/git/trees{/sha}",
		"clone_url":         web + full + ".git",
		"mirror_url":        nil,
		"hooks_url":         base + "/hooks",
		"svn_url":           web + full,
		"homepage":          nil,
		"language":          "Go",
		"forks_count":       0,
		"forks":             0,
		"stargazers_count":  0,
		"watchers_count":    0,
		"watchers":          0,
		"size":              108,
		"default_branch":    r.opts.DefaultBranch,
		"open_issues_count": r.openIssues(),
		"open_issues":       r.openIssues(),
		"is_template":       false,
		"topics":            []any{},
		"has_issues":        true,
		"has_projects":      true,
		"has_wiki":          true,
		"has_pages":         false,
		"has_downloads":     true,
		"has_discussions":   false,
		"archived":          r.opts.Archived,
		"disabled":          false,
		"pushed_at":         ts(r.created),
		"created_at":        ts(r.created),
		"updated_at":        ts(r.created),
		"allow_forking":     true,
		"license":           nil,
	}
	return o
}

// fullRepoJSON is the full-repository shape of GET /repos/{owner}/{repo}.
func (s *Server) fullRepoJSON(r *repoState) obj {
	o := s.repoJSON(r)
	o["network_count"] = 0
	o["subscribers_count"] = 0
	o["permissions"] = obj{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}
	if r.owner.typ == "Organization" {
		o["organization"] = s.userJSON(r.owner)
	}
	return o
}

func (r *repoState) openIssues() int {
	n := 0
	for _, is := range r.issues {
		if is.State == "open" {
			n++
		}
	}
	return n
}

func (s *Server) labelJSON(r *repoState, l *Label) obj {
	return obj{
		"id":          l.ID,
		"node_id":     nodeID("LA", l.ID),
		"url":         s.api("repos/%s/labels/%s", r.fullName(), pathEscape(l.Name)),
		"name":        l.Name,
		"description": strOrNil(l.Description),
		"color":       l.Color,
		"default":     l.Default,
	}
}

func (s *Server) issueJSON(r *repoState, is *Issue) obj {
	full := r.fullName()
	base := s.api("repos/%s/issues/%d", full, is.Number)
	labels := []any{}
	for _, name := range is.Labels {
		labels = append(labels, s.labelJSON(r, s.ensureLabel(r, name)))
	}
	assignees := []any{}
	var assignee any
	for i, a := range is.Assignees {
		u := s.userByLogin(a)
		if i == 0 {
			assignee = u
		}
		assignees = append(assignees, u)
	}
	comments := 0
	for _, c := range r.comments {
		if c.IssueNumber == is.Number {
			comments++
		}
	}
	o := obj{
		"id":                 is.ID,
		"node_id":            nodeID("I", is.ID),
		"url":                base,
		"repository_url":     s.api("repos/%s", full),
		"labels_url":         base + "/labels{/name}",
		"comments_url":       base + "/comments",
		"events_url":         base + "/events",
		"html_url":           fmt.Sprintf("%s%s/%s/%d", web, full, issueKind(is), is.Number),
		"number":             is.Number,
		"state":              is.State,
		"state_reason":       strOrNil(is.StateReason),
		"title":              is.Title,
		"body":               strOrNil(is.Body),
		"user":               s.userByLogin(is.User),
		"labels":             labels,
		"assignee":           assignee,
		"assignees":          assignees,
		"milestone":          nil,
		"locked":             is.Locked,
		"active_lock_reason": nil,
		"comments":           comments,
		"closed_at":          nil,
		"created_at":         ts(is.CreatedAt),
		"updated_at":         ts(is.UpdatedAt),
		"closed_by":          nil,
		"author_association": s.association(r, is.User),
		"reactions":          s.reactionRollup(r, base+"/reactions", is.Number, 0),
		"timeline_url":       base + "/timeline",
	}
	if is.State == "closed" {
		o["closed_at"] = tsOrNil(is.ClosedAt)
	}
	if is.PullRequest {
		o["pull_request"] = obj{
			"url":       s.api("repos/%s/pulls/%d", full, is.Number),
			"html_url":  fmt.Sprintf("%s%s/pull/%d", web, full, is.Number),
			"diff_url":  fmt.Sprintf("%s%s/pull/%d.diff", web, full, is.Number),
			"patch_url": fmt.Sprintf("%s%s/pull/%d.patch", web, full, is.Number),
			"merged_at": nil,
		}
	}
	return o
}

// association is the author_association GitHub reports for login on r.
func (s *Server) association(r *repoState, login string) string {
	switch {
	case strings.EqualFold(login, r.owner.login):
		return "OWNER"
	case r.perms[strings.ToLower(login)].permission == "admin" || r.perms[strings.ToLower(login)].permission == "write":
		return "MEMBER"
	case r.perms[strings.ToLower(login)].permission != "":
		return "COLLABORATOR"
	}
	return "NONE"
}

func (s *Server) reactionRollup(r *repoState, url string, issue int, comment int64) obj {
	o := obj{"url": url, "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0}
	for _, x := range r.reactions {
		if x.CommentID == comment && (comment != 0 || x.IssueNumber == issue) {
			o[x.Content] = o[x.Content].(int) + 1
			o["total_count"] = o["total_count"].(int) + 1
		}
	}
	return o
}

func (s *Server) commentJSON(r *repoState, c *Comment) obj {
	return obj{
		"id":                 c.ID,
		"node_id":            nodeID("IC", c.ID),
		"url":                c.URL,
		"html_url":           c.HTMLURL,
		"body":               c.Body,
		"user":               s.userByLogin(c.User),
		"created_at":         ts(c.CreatedAt),
		"updated_at":         ts(c.UpdatedAt),
		"issue_url":          s.api("repos/%s/issues/%d", r.fullName(), c.IssueNumber),
		"author_association": s.association(r, c.User),
		"reactions":          s.reactionRollup(r, c.URL+"/reactions", c.IssueNumber, c.ID),
	}
}

func (s *Server) reactionJSON(x *Reaction) obj {
	return obj{
		"id":         x.ID,
		"node_id":    nodeID("REA", x.ID),
		"user":       s.userByLogin(x.User),
		"content":    x.Content,
		"created_at": ts(x.CreatedAt),
	}
}

func (s *Server) appJSON() obj {
	st := s.st
	perms := obj{}
	for k, v := range defaultPermissions() {
		perms[k] = v
	}
	events := []any{}
	for _, e := range defaultEvents {
		events = append(events, e)
	}
	return obj{
		"id":                  s.appID,
		"slug":                st.appSlug,
		"node_id":             nodeID("A", s.appID),
		"client_id":           "Iv1." + fakeSHA("client")[:16],
		"owner":               s.userJSON(st.appOwner),
		"name":                st.appName,
		"description":         "Deploys from Slack and GitHub",
		"external_url":        "https://golive.example.com",
		"html_url":            web + "apps/" + st.appSlug,
		"created_at":          ts(st.created),
		"updated_at":          ts(st.created),
		"permissions":         perms,
		"events":              events,
		"installations_count": len(st.installations),
	}
}

func (s *Server) installationJSON(inst *installationState) obj {
	perms := obj{}
	for k, v := range inst.permissions {
		perms[k] = v
	}
	events := []any{}
	for _, e := range inst.events {
		events = append(events, e)
	}
	selection := "selected"
	if inst.allRepos {
		selection = "all"
	}
	var suspendedAt, suspendedBy any
	if inst.suspended {
		suspendedAt = ts(inst.created)
		suspendedBy = s.userJSON(inst.account)
	}
	settings := "installations/"
	if inst.account.typ == "Organization" {
		settings = "organizations/" + inst.account.login + "/settings/installations/"
	} else {
		settings = "settings/installations/"
	}
	return obj{
		"id":                        inst.id,
		"account":                   s.userJSON(inst.account),
		"repository_selection":      selection,
		"access_tokens_url":         s.api("app/installations/%d/access_tokens", inst.id),
		"repositories_url":          s.api("installation/repositories"),
		"html_url":                  fmt.Sprintf("%s%s%d", web, settings, inst.id),
		"app_id":                    s.appID,
		"app_slug":                  s.st.appSlug,
		"client_id":                 "Iv1." + fakeSHA("client")[:16],
		"target_id":                 inst.account.id,
		"target_type":               inst.account.typ,
		"permissions":               perms,
		"events":                    events,
		"created_at":                ts(inst.created),
		"updated_at":                ts(inst.created),
		"single_file_name":          nil,
		"has_multiple_single_files": false,
		"single_file_paths":         []any{},
		"suspended_by":              suspendedBy,
		"suspended_at":              suspendedAt,
	}
}

func (s *Server) workflowJSON(r *repoState, wf *Workflow) obj {
	full := r.fullName()
	return obj{
		"id":         wf.ID,
		"node_id":    nodeID("W", wf.ID),
		"name":       wf.Name,
		"path":       wf.Path,
		"state":      wf.State,
		"created_at": ts(wf.CreatedAt),
		"updated_at": ts(wf.CreatedAt),
		"url":        s.api("repos/%s/actions/workflows/%d", full, wf.ID),
		"html_url":   fmt.Sprintf("%s%s/blob/%s/%s", web, full, r.opts.DefaultBranch, wf.Path),
		"badge_url":  fmt.Sprintf("%s%s/workflows/%s/badge.svg", web, full, pathEscape(wf.Name)),
	}
}

// minimalRepoJSON is the minimal-repository shape (runs, combined status);
// GitHub fills it as fully as the repository one.
func (s *Server) minimalRepoJSON(r *repoState) obj { return s.repoJSON(r) }

func (s *Server) runJSON(r *repoState, run *WorkflowRun) obj {
	full := r.fullName()
	base := s.api("repos/%s/actions/runs/%d", full, run.ID)
	path := ""
	if wf := r.workflow(fmt.Sprint(run.WorkflowID)); wf != nil {
		path = wf.Path
	}
	var conclusion any
	if run.Conclusion != "" {
		conclusion = run.Conclusion
	}
	head := r.commits[run.HeadSHA]
	var headCommit any
	if head != nil {
		headCommit = obj{
			"id":        head.SHA,
			"tree_id":   fakeSHA(head.SHA + "^{tree}"),
			"message":   head.Message,
			"timestamp": ts(head.Date),
			"author":    obj{"name": head.Author, "email": head.Author + "@users.noreply.github.com"},
			"committer": obj{"name": "GitHub", "email": "noreply@github.com"},
		}
	}
	actor := s.userByLogin(run.Actor)
	return obj{
		"id":                   run.ID,
		"name":                 run.Name,
		"node_id":              nodeID("WFR", run.ID),
		"check_suite_id":       run.CheckSuiteID,
		"check_suite_node_id":  nodeID("CS", run.CheckSuiteID),
		"head_branch":          run.HeadBranch,
		"head_sha":             run.HeadSHA,
		"path":                 path,
		"display_title":        run.DisplayTitle,
		"run_number":           run.RunNumber,
		"run_attempt":          run.RunAttempt,
		"event":                run.Event,
		"status":               run.Status,
		"conclusion":           conclusion,
		"workflow_id":          run.WorkflowID,
		"url":                  base,
		"html_url":             fmt.Sprintf("%s%s/actions/runs/%d", web, full, run.ID),
		"pull_requests":        []any{},
		"created_at":           ts(run.CreatedAt),
		"updated_at":           ts(run.UpdatedAt),
		"run_started_at":       ts(run.CreatedAt),
		"actor":                actor,
		"triggering_actor":     actor,
		"jobs_url":             base + "/jobs",
		"logs_url":             base + "/logs",
		"check_suite_url":      s.api("repos/%s/check-suites/%d", full, run.CheckSuiteID),
		"artifacts_url":        base + "/artifacts",
		"cancel_url":           base + "/cancel",
		"rerun_url":            base + "/rerun",
		"previous_attempt_url": nil,
		"workflow_url":         s.api("repos/%s/actions/workflows/%d", full, run.WorkflowID),
		"head_commit":          headCommit,
		"repository":           s.minimalRepoJSON(r),
		"head_repository":      s.minimalRepoJSON(r),
	}
}

func (s *Server) jobJSON(r *repoState, j *Job) obj {
	full := r.fullName()
	run := r.run(j.RunID)
	o := obj{
		"id":                j.ID,
		"run_id":            j.RunID,
		"run_url":           s.api("repos/%s/actions/runs/%d", full, j.RunID),
		"run_attempt":       1,
		"node_id":           nodeID("CR", j.ID),
		"url":               s.api("repos/%s/actions/jobs/%d", full, j.ID),
		"html_url":          fmt.Sprintf("%s%s/actions/runs/%d/job/%d", web, full, j.RunID, j.ID),
		"status":            j.Status,
		"conclusion":        strOrNil(j.Conclusion),
		"created_at":        ts(s.st.created),
		"started_at":        ts(j.StartedAt),
		"completed_at":      tsOrNil(j.CompletedAt),
		"name":              j.Name,
		"steps":             []any{},
		"check_run_url":     s.api("repos/%s/check-runs/%d", full, j.ID),
		"labels":            toAny(j.Labels),
		"runner_id":         nil,
		"runner_name":       strOrNil(j.RunnerName),
		"runner_group_id":   nil,
		"runner_group_name": nil,
		"workflow_name":     nil,
		"head_branch":       nil,
		"head_sha":          "",
	}
	if j.StartedAt.IsZero() {
		o["started_at"] = ts(s.st.created)
	}
	if run != nil {
		o["head_sha"] = run.HeadSHA
		o["head_branch"] = run.HeadBranch
		o["workflow_name"] = run.Name
		o["run_attempt"] = run.RunAttempt
		o["created_at"] = ts(run.CreatedAt)
	}
	return o
}

func (r *repoState) run(id int64) *WorkflowRun {
	for _, run := range r.runs {
		if run.ID == id {
			return run
		}
	}
	return nil
}

func (s *Server) deploymentJSON(r *repoState, d *Deployment) obj {
	full := r.fullName()
	base := s.api("repos/%s/deployments/%d", full, d.ID)
	payload := d.Payload
	if payload == nil {
		payload = obj{}
	}
	return obj{
		"url":                      base,
		"id":                       d.ID,
		"node_id":                  nodeID("DE", d.ID),
		"sha":                      d.SHA,
		"ref":                      d.Ref,
		"task":                     d.Task,
		"payload":                  payload,
		"original_environment":     d.Environment,
		"environment":              d.Environment,
		"description":              d.Description,
		"creator":                  s.userByLogin(d.Creator),
		"created_at":               ts(d.CreatedAt),
		"updated_at":               ts(d.UpdatedAt),
		"statuses_url":             base + "/statuses",
		"repository_url":           s.api("repos/%s", full),
		"transient_environment":    d.TransientEnvironment,
		"production_environment":   d.ProductionEnvironment,
		"performed_via_github_app": nil,
	}
}

func (s *Server) deploymentStatusJSON(r *repoState, d *Deployment, st *DeploymentStatus) obj {
	full := r.fullName()
	dep := s.api("repos/%s/deployments/%d", full, d.ID)
	return obj{
		"url":                      fmt.Sprintf("%s/statuses/%d", dep, st.ID),
		"id":                       st.ID,
		"node_id":                  nodeID("DES", st.ID),
		"state":                    st.State,
		"creator":                  s.userByLogin(st.Creator),
		"description":              st.Description,
		"environment":              st.Environment,
		"target_url":               st.TargetURL,
		"log_url":                  st.LogURL,
		"environment_url":          st.EnvironmentURL,
		"created_at":               ts(st.CreatedAt),
		"updated_at":               ts(st.CreatedAt),
		"deployment_url":           dep,
		"repository_url":           s.api("repos/%s", full),
		"performed_via_github_app": nil,
	}
}

func (s *Server) checkRunJSON(r *repoState, c *CheckRun) obj {
	full := r.fullName()
	url := s.api("repos/%s/check-runs/%d", full, c.ID)
	var app any
	if c.AppID == s.appID {
		app = s.appJSON()
	}
	return obj{
		"id":           c.ID,
		"head_sha":     c.HeadSHA,
		"node_id":      nodeID("CR", c.ID),
		"external_id":  strOrNil(c.ExternalID),
		"url":          url,
		"html_url":     fmt.Sprintf("%s%s/runs/%d", web, full, c.ID),
		"details_url":  strOrNil(c.DetailsURL),
		"status":       c.Status,
		"conclusion":   strOrNil(c.Conclusion),
		"started_at":   tsOrNil(c.StartedAt),
		"completed_at": tsOrNil(c.CompletedAt),
		"output": obj{
			"title":             strOrNil(c.Title),
			"summary":           strOrNil(c.Summary),
			"text":              strOrNil(c.Text),
			"annotations_count": 0,
			"annotations_url":   url + "/annotations",
		},
		"name":          c.Name,
		"check_suite":   obj{"id": c.ID + 1},
		"app":           app,
		"pull_requests": []any{},
	}
}

func (s *Server) commitJSON(r *repoState, c *Commit, withFiles bool) obj {
	full := r.fullName()
	parents := []any{}
	for _, p := range c.Parents {
		parents = append(parents, obj{"sha": p, "url": s.api("repos/%s/commits/%s", full, p), "html_url": fmt.Sprintf("%s%s/commit/%s", web, full, p)})
	}
	person := obj{"name": c.Author, "email": c.Author + "@users.noreply.github.com", "date": ts(c.Date)}
	author := s.userByLogin(c.Author)
	o := obj{
		"url":          s.api("repos/%s/commits/%s", full, c.SHA),
		"sha":          c.SHA,
		"node_id":      nodeID("C", int64(len(c.SHA))),
		"html_url":     fmt.Sprintf("%s%s/commit/%s", web, full, c.SHA),
		"comments_url": s.api("repos/%s/commits/%s/comments", full, c.SHA),
		"commit": obj{
			"url":           s.api("repos/%s/git/commits/%s", full, c.SHA),
			"author":        person,
			"committer":     person,
			"message":       c.Message,
			"comment_count": 0,
			"tree":          obj{"sha": fakeSHA(c.SHA + "^{tree}"), "url": s.api("repos/%s/git/trees/%s", full, fakeSHA(c.SHA+"^{tree}"))},
			"verification":  obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
		},
		"author":    author,
		"committer": author,
		"parents":   parents,
	}
	if withFiles {
		files := []any{}
		for _, f := range c.Files {
			files = append(files, s.fileChangeJSON(r, c.SHA, f))
		}
		o["files"] = files
		o["stats"] = obj{"additions": len(c.Files), "deletions": 0, "total": len(c.Files)}
	}
	return o
}

func (s *Server) fileChangeJSON(r *repoState, sha, path string) obj {
	full := r.fullName()
	return obj{
		"sha":          fakeSHA(sha + ":" + path),
		"filename":     path,
		"status":       "modified",
		"additions":    1,
		"deletions":    0,
		"changes":      1,
		"blob_url":     fmt.Sprintf("%s%s/blob/%s/%s", web, full, sha, path),
		"raw_url":      fmt.Sprintf("%s%s/raw/%s/%s", web, full, sha, path),
		"contents_url": s.api("repos/%s/contents/%s?ref=%s", full, path, sha),
	}
}

func (s *Server) fileJSON(r *repoState, ref, p string, f *fileState) obj {
	full := r.fullName()
	self := s.api("repos/%s/contents/%s?ref=%s", full, p, ref)
	git := s.api("repos/%s/git/blobs/%s", full, f.sha)
	html := fmt.Sprintf("%s%s/blob/%s/%s", web, full, ref, p)
	o := obj{
		"type":         "file",
		"encoding":     "base64",
		"size":         len(f.content),
		"name":         baseName(p),
		"path":         p,
		"sha":          f.sha,
		"url":          self,
		"git_url":      git,
		"html_url":     html,
		"download_url": fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", full, ref, p),
		"_links":       obj{"self": self, "git": git, "html": html},
	}
	if f.content != nil {
		o["content"] = wrapBase64(f.content)
	}
	return o
}

// wrapBase64 encodes b as GitHub does in contents responses: base64 in lines
// of 60 characters, each ending in a newline.
func wrapBase64(b []byte) string {
	enc := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60])
		sb.WriteByte('\n')
		enc = enc[60:]
	}
	sb.WriteString(enc)
	sb.WriteByte('\n')
	return sb.String()
}

func (s *Server) dirEntryJSON(r *repoState, ref, p, kind string) obj {
	full := r.fullName()
	self := s.api("repos/%s/contents/%s?ref=%s", full, p, ref)
	html := fmt.Sprintf("%s%s/%s/%s/%s", web, full, map[string]string{"dir": "tree", "file": "blob"}[kind], ref, p)
	sha := fakeSHA(ref + ":" + p)
	var download any
	size := 0
	if kind == "file" {
		if f, ok := r.file(ref, p); ok {
			sha = f.sha
			size = len(f.content)
		}
		download = fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", full, ref, p)
	}
	git := s.api("repos/%s/git/%s/%s", full, map[string]string{"dir": "trees", "file": "blobs"}[kind], sha)
	return obj{
		"type":         kind,
		"size":         size,
		"name":         baseName(p),
		"path":         p,
		"sha":          sha,
		"url":          self,
		"git_url":      git,
		"html_url":     html,
		"download_url": download,
		"_links":       obj{"self": self, "git": git, "html": html},
	}
}

func (s *Server) environmentJSON(r *repoState, e *Environment) obj {
	full := r.fullName()
	rules := []any{}
	if e.WaitTimer > 0 {
		rules = append(rules, obj{"id": e.ID + 1, "node_id": nodeID("GA", e.ID+1), "type": "wait_timer", "wait_timer": e.WaitTimer})
	}
	if len(e.Reviewers) > 0 {
		revs := []any{}
		for _, login := range e.Reviewers {
			revs = append(revs, obj{"type": "User", "reviewer": s.userByLogin(login)})
		}
		rules = append(rules, obj{"id": e.ID + 2, "node_id": nodeID("GA", e.ID+2), "prevent_self_review": false, "type": "required_reviewers", "reviewers": revs})
	}
	return obj{
		"id":                       e.ID,
		"node_id":                  nodeID("EN", e.ID),
		"name":                     e.Name,
		"url":                      s.api("repos/%s/environments/%s", full, pathEscape(e.Name)),
		"html_url":                 fmt.Sprintf("%s%s/deployments/activity_log?environments_filter=%s", web, full, pathEscape(e.Name)),
		"created_at":               ts(e.CreatedAt),
		"updated_at":               ts(e.CreatedAt),
		"protection_rules":         rules,
		"deployment_branch_policy": nil,
	}
}

func (s *Server) teamJSON(t *teamState, permission string) obj {
	o := obj{
		"id":                   t.id,
		"node_id":              nodeID("T", t.id),
		"url":                  s.api("orgs/%s/teams/%s", t.org, t.slug),
		"html_url":             fmt.Sprintf("%sorgs/%s/teams/%s", web, t.org, t.slug),
		"name":                 t.name,
		"slug":                 t.slug,
		"description":          nil,
		"privacy":              "closed",
		"notification_setting": "notifications_enabled",
		"permission":           permission,
		"members_url":          s.api("orgs/%s/teams/%s/members{/member}", t.org, t.slug),
		"repositories_url":     s.api("orgs/%s/teams/%s/repos", t.org, t.slug),
		"parent":               nil,
		"type":                 "organization",
	}
	perms := obj{"pull": true, "triage": false, "push": false, "maintain": false, "admin": false}
	switch permission {
	case "admin":
		perms["admin"] = true
		fallthrough
	case "maintain":
		perms["maintain"] = true
		fallthrough
	case "push":
		perms["push"] = true
		fallthrough
	case "triage":
		perms["triage"] = true
	}
	o["permissions"] = perms
	return o
}

func (s *Server) deliveryJSON(d *HookDelivery, full bool) obj {
	status := "OK"
	if d.StatusCode < 200 || d.StatusCode > 299 {
		status = fmt.Sprintf("Invalid HTTP Response: %d", d.StatusCode)
	}
	o := obj{
		"id":              d.ID,
		"guid":            d.GUID,
		"delivered_at":    ts(d.DeliveredAt),
		"redelivery":      d.Redelivery,
		"duration":        d.Duration,
		"status":          status,
		"status_code":     d.StatusCode,
		"event":           d.Event,
		"action":          strOrNil(d.Action),
		"installation_id": nil,
		"repository_id":   nil,
		"throttled_at":    nil,
	}
	if d.InstallationID != 0 {
		o["installation_id"] = d.InstallationID
	}
	if d.RepositoryID != 0 {
		o["repository_id"] = d.RepositoryID
	}
	if full {
		payload := d.Payload
		if payload == nil {
			payload = map[string]any{}
		}
		o["url"] = s.st.hookCfg["url"]
		o["request"] = obj{
			"headers": obj{
				"Accept":                                 "*/*",
				"Content-Type":                           "application/json",
				"User-Agent":                             "GitHub-Hookshot/fake",
				"X-GitHub-Delivery":                      d.GUID,
				"X-GitHub-Event":                         d.Event,
				"X-GitHub-Hook-ID":                       fmt.Sprint(s.appID * 10),
				"X-GitHub-Hook-Installation-Target-ID":   fmt.Sprint(s.appID),
				"X-GitHub-Hook-Installation-Target-Type": "integration",
			},
			"payload": payload,
		}
		o["response"] = obj{"headers": obj{"Content-Type": "text/plain"}, "payload": ""}
	}
	return o
}

func toAny[T any](xs []T) []any {
	out := make([]any, 0, len(xs))
	for _, x := range xs {
		out = append(out, x)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
