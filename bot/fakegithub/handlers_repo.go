package fakegithub

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

func (s *Server) getRepo(c *reqCtx) response { return okJSON(s.fullRepoJSON(c.repo)) }

func (s *Server) getPermission(c *reqCtx) response {
	login := c.p["username"]
	p, found := c.repo.perms[strings.ToLower(login)]
	if !found {
		return s.notFound(c)
	}
	u := s.userByLogin(login)
	u["permissions"] = obj{
		"admin":    p.permission == "admin",
		"maintain": p.role == "maintain" || p.permission == "admin",
		"push":     p.permission == "admin" || p.permission == "write",
		"triage":   p.permission != "none",
		"pull":     p.permission != "none",
	}
	u["role_name"] = p.role
	return okJSON(obj{"permission": p.permission, "role_name": p.role, "user": u})
}

func (s *Server) listRepoTeams(c *reqCtx) response {
	items := []any{}
	for _, rt := range c.repo.teams {
		if t, found := s.st.teams[strings.ToLower(rt.org+"/"+rt.slug)]; found {
			items = append(items, s.teamJSON(t, rt.permission))
		}
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) listEnvironments(c *reqCtx) response {
	items := []any{}
	for _, e := range c.repo.envs {
		items = append(items, s.environmentJSON(c.repo, e))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "environments": page}, header: h}
}

func (s *Server) getEnvironment(c *reqCtx) response {
	e := c.repo.env(c.p["environment_name"])
	if e == nil {
		return s.notFound(c)
	}
	return okJSON(s.environmentJSON(c.repo, e))
}

func (s *Server) secretsJSON(c *reqCtx, names []string, created any) response {
	items := []any{}
	for _, n := range names {
		items = append(items, obj{"name": n, "created_at": created, "updated_at": created})
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "secrets": page}, header: h}
}

func (s *Server) variablesJSON(c *reqCtx, vars []Variable, created any) response {
	items := []any{}
	for _, v := range vars {
		items = append(items, obj{"name": v.Name, "value": v.Value, "created_at": created, "updated_at": created})
	}
	page, h := s.paginate(c, items, 10)
	return response{status: http.StatusOK, body: obj{"total_count": len(items), "variables": page}, header: h}
}

func (s *Server) listEnvSecrets(c *reqCtx) response {
	e := c.repo.env(c.p["environment_name"])
	if e == nil {
		return s.notFound(c)
	}
	return s.secretsJSON(c, e.Secrets, ts(e.CreatedAt))
}

func (s *Server) listEnvVariables(c *reqCtx) response {
	e := c.repo.env(c.p["environment_name"])
	if e == nil {
		return s.notFound(c)
	}
	return s.variablesJSON(c, e.Variables, ts(e.CreatedAt))
}

func (s *Server) listRepoSecrets(c *reqCtx) response {
	return s.secretsJSON(c, c.repo.secrets, ts(c.repo.created))
}

func (s *Server) listRepoVariables(c *reqCtx) response {
	return s.variablesJSON(c, c.repo.variables, ts(c.repo.created))
}

func (s *Server) protectionRuleJSON(rule protectionRule) obj {
	slug := fmt.Sprintf("app-%d", rule.appID)
	if rule.appID == s.appID {
		slug = s.st.appSlug
	}
	return obj{
		"id":      rule.id,
		"node_id": nodeID("GA", rule.id),
		"enabled": true,
		"app": obj{
			"id":              rule.appID,
			"slug":            slug,
			"integration_url": s.api("apps/%s", slug),
			"node_id":         nodeID("A", rule.appID),
		},
	}
}

func (s *Server) listProtectionRules(c *reqCtx) response {
	e := c.repo.env(c.p["environment_name"])
	if e == nil {
		return s.notFound(c)
	}
	items := []any{}
	for _, rule := range c.repo.rules[strings.ToLower(e.Name)] {
		items = append(items, s.protectionRuleJSON(rule))
	}
	return okJSON(obj{"total_count": len(items), "custom_deployment_protection_rules": items})
}

func (s *Server) createProtectionRule(c *reqCtx) response {
	e := c.repo.env(c.p["environment_name"])
	if e == nil {
		return s.notFound(c)
	}
	var req struct {
		IntegrationID int64 `json:"integration_id"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	key := strings.ToLower(e.Name)
	rule := protectionRule{id: s.st.id(), appID: req.IntegrationID}
	c.repo.rules[key] = append(c.repo.rules[key], rule)
	return s.created(s.protectionRuleJSON(rule), "")
}

// contentRef resolves the ?ref= of a contents request to a branch name and
// the name to show in URLs; ok is false for an unknown ref.
func (s *Server) contentRef(c *reqCtx) (branch, shown string, found bool) {
	ref := c.q.Get("ref")
	if ref == "" {
		return c.repo.opts.DefaultBranch, c.repo.opts.DefaultBranch, true
	}
	sha, br, ok := c.repo.resolveRef(ref)
	if !ok {
		return "", "", false
	}
	if br == "" {
		br = c.repo.branchAt(sha)
	}
	if br == "" {
		br = c.repo.opts.DefaultBranch
	}
	return br, ref, true
}

// getContent answers a file (base64) or a directory listing; the ETag and
// If-None-Match handling is common to every GET.
func (s *Server) getContent(c *reqCtx) response {
	branch, shown, found := s.contentRef(c)
	if !found {
		return s.errorResponse(http.StatusNotFound, fmt.Sprintf("No commit found for the ref %s", c.q.Get("ref")), s.spec.docURL(c.method, c.route))
	}
	p := strings.Trim(c.p["path"], "/")
	if f, ok := c.repo.file(branch, p); ok {
		return okJSON(s.fileJSON(c.repo, shown, p, f))
	}
	entries := c.repo.dir(branch, p)
	if len(entries) == 0 {
		return s.notFound(c)
	}
	items := []any{}
	for _, name := range sortedKeys(entries) {
		full := name
		if p != "" {
			full = p + "/" + name
		}
		items = append(items, s.dirEntryJSON(c.repo, shown, full, entries[name]))
	}
	return okJSON(items)
}

type commitPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (s *Server) putContent(c *reqCtx) response {
	var req struct {
		Message   string        `json:"message"`
		Content   string        `json:"content"`
		SHA       string        `json:"sha"`
		Branch    string        `json:"branch"`
		Committer *commitPerson `json:"committer"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	content, err := base64.StdEncoding.DecodeString(req.Content)
	if err != nil {
		return s.validationFailed(c, "Content", "content", "invalid")
	}
	branch := req.Branch
	if branch == "" {
		branch = c.repo.opts.DefaultBranch
	}
	if _, ok := c.repo.branches[branch]; !ok {
		return s.errorResponse(http.StatusNotFound, "Branch "+branch+" not found", s.spec.docURL(c.method, c.route))
	}
	p := strings.Trim(c.p["path"], "/")
	status := http.StatusCreated
	if old, exists := c.repo.file(branch, p); exists {
		if req.SHA == "" {
			return s.unprocessable(c, "Invalid request.\n\n\"sha\" wasn't supplied.")
		}
		if req.SHA != old.sha {
			return s.errorResponse(http.StatusConflict, fmt.Sprintf("%s does not match %s", p, req.SHA), s.spec.docURL(c.method, c.route))
		}
		status = http.StatusOK
	}
	f := c.repo.putFile(branch, p, content)
	commit := s.st.commitOn(c.repo, branch, req.Message, s.actor(c), c.now)
	commit.Files = []string{p}
	return response{status: status, body: obj{"content": s.fileJSON(c.repo, branch, p, &fileState{sha: f.sha, content: nil}), "commit": s.gitCommitJSON(c.repo, commit)}}
}

func (s *Server) deleteContent(c *reqCtx) response {
	var req struct {
		Message string `json:"message"`
		SHA     string `json:"sha"`
		Branch  string `json:"branch"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	branch := req.Branch
	if branch == "" {
		branch = c.repo.opts.DefaultBranch
	}
	p := strings.Trim(c.p["path"], "/")
	old, exists := c.repo.file(branch, p)
	if !exists {
		return s.notFound(c)
	}
	if req.SHA != old.sha {
		return s.errorResponse(http.StatusConflict, fmt.Sprintf("%s does not match %s", p, req.SHA), s.spec.docURL(c.method, c.route))
	}
	if files := c.repo.files[branch]; files != nil {
		delete(files, p)
	}
	commit := s.st.commitOn(c.repo, branch, req.Message, s.actor(c), c.now)
	commit.Files = []string{p}
	return okJSON(obj{"content": nil, "commit": s.gitCommitJSON(c.repo, commit)})
}

// gitCommitJSON is the git-data commit shape of file-commit responses.
func (s *Server) gitCommitJSON(r *repoState, cm *Commit) obj {
	full := r.fullName()
	person := obj{"name": cm.Author, "email": cm.Author + "@users.noreply.github.com", "date": ts(cm.Date)}
	parents := []any{}
	for _, p := range cm.Parents {
		parents = append(parents, obj{"sha": p, "url": s.api("repos/%s/git/commits/%s", full, p), "html_url": fmt.Sprintf("%s%s/commit/%s", web, full, p)})
	}
	tree := fakeSHA(cm.SHA + "^{tree}")
	return obj{
		"sha":          cm.SHA,
		"node_id":      nodeID("C", int64(len(cm.SHA))),
		"url":          s.api("repos/%s/git/commits/%s", full, cm.SHA),
		"html_url":     fmt.Sprintf("%s%s/commit/%s", web, full, cm.SHA),
		"author":       person,
		"committer":    person,
		"message":      cm.Message,
		"tree":         obj{"url": s.api("repos/%s/git/trees/%s", full, tree), "sha": tree},
		"parents":      parents,
		"verification": obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
	}
}

func (s *Server) commitOr404(c *reqCtx, ref string) (*Commit, response, bool) {
	sha, _, found := c.repo.resolveRef(ref)
	if !found {
		return nil, s.unprocessable(c, "No commit found for SHA: "+ref), false
	}
	cm := c.repo.commits[sha]
	if cm == nil {
		cm = &Commit{SHA: sha, Message: "", Author: c.repo.owner.login, Date: s.st.created}
	}
	return cm, response{}, true
}

func (s *Server) getCommit(c *reqCtx) response {
	cm, resp, found := s.commitOr404(c, c.p["ref"])
	if !found {
		return resp
	}
	return okJSON(s.commitJSON(c.repo, cm, true))
}

// maxCompareCommits is how many commits a compare without paging
// parameters lists.
const maxCompareCommits = 250

// compare walks the history of base...head: commits reachable from head but
// not from base, oldest first.
func (s *Server) compare(c *reqCtx) response {
	bh := c.p["basehead"]
	base, head, found := strings.Cut(bh, "...")
	if !found {
		base, head, found = strings.Cut(bh, "..")
	}
	if !found {
		return s.notFound(c)
	}
	// "owner:branch" names a fork's branch; the fake has no forks.
	base = base[strings.Index(base, ":")+1:]
	head = head[strings.Index(head, ":")+1:]
	bsha, _, ok1 := c.repo.resolveRef(base)
	hsha, _, ok2 := c.repo.resolveRef(head)
	if !ok1 || !ok2 {
		return s.notFound(c)
	}
	r := c.repo
	baseAnc := r.ancestors(bsha)
	headAnc := r.ancestors(hsha)
	inBase := map[string]bool{}
	for _, x := range baseAnc {
		inBase[x] = true
	}
	inHead := map[string]bool{}
	for _, x := range headAnc {
		inHead[x] = true
	}
	mergeBase := bsha
	for _, x := range headAnc {
		if inBase[x] {
			mergeBase = x
			break
		}
	}
	var ahead []string
	for _, x := range headAnc {
		if !inBase[x] {
			ahead = append(ahead, x)
		}
	}
	behind := 0
	for _, x := range baseAnc {
		if !inHead[x] {
			behind++
		}
	}
	status := "identical"
	switch {
	case len(ahead) > 0 && behind > 0:
		status = "diverged"
	case len(ahead) > 0:
		status = "ahead"
	case behind > 0:
		status = "behind"
	}
	commits := []any{}
	files := []any{}
	seen := map[string]bool{}
	for i := len(ahead) - 1; i >= 0; i-- {
		cm := r.commits[ahead[i]]
		if cm == nil {
			continue
		}
		commits = append(commits, s.commitJSON(r, cm, false))
		for _, f := range cm.Files {
			if !seen[f] {
				seen[f] = true
				files = append(files, s.fileChangeJSON(r, cm.SHA, f))
			}
		}
	}
	// Without paging parameters GitHub lists at most 250 commits, the last
	// of them the most recent of the comparison; total_commits still
	// counts them all.
	if c.q.Get("page") == "" && c.q.Get("per_page") == "" && len(commits) > maxCompareCommits {
		commits = commits[len(commits)-maxCompareCommits:]
	}
	get := func(sha string) obj {
		if cm := r.commits[sha]; cm != nil {
			return s.commitJSON(r, cm, false)
		}
		return s.commitJSON(r, &Commit{SHA: sha, Author: r.owner.login, Date: s.st.created}, false)
	}
	full := r.fullName()
	return okJSON(obj{
		"url":               s.api("repos/%s/compare/%s", full, bh),
		"html_url":          fmt.Sprintf("%s%s/compare/%s", web, full, bh),
		"permalink_url":     fmt.Sprintf("%s%s/compare/%s...%s", web, full, bsha[:7], hsha[:7]),
		"diff_url":          fmt.Sprintf("%s%s/compare/%s.diff", web, full, bh),
		"patch_url":         fmt.Sprintf("%s%s/compare/%s.patch", web, full, bh),
		"base_commit":       get(bsha),
		"merge_base_commit": get(mergeBase),
		"status":            status,
		"ahead_by":          len(ahead),
		"behind_by":         behind,
		"total_commits":     len(ahead),
		"commits":           commits,
		"files":             files,
	})
}

func (s *Server) getBranch(c *reqCtx) response {
	name := c.p["branch"]
	sha, found := c.repo.branches[name]
	if !found {
		return s.errorResponse(http.StatusNotFound, "Branch not found", s.spec.docURL(c.method, c.route))
	}
	full := c.repo.fullName()
	cm := c.repo.commits[sha]
	if cm == nil {
		cm = &Commit{SHA: sha, Author: c.repo.owner.login, Date: s.st.created}
	}
	return okJSON(obj{
		"name":   name,
		"commit": s.commitJSON(c.repo, cm, false),
		"_links": obj{
			"html": fmt.Sprintf("%s%s/tree/%s", web, full, name),
			"self": s.api("repos/%s/branches/%s", full, pathEscape(name)),
		},
		"protected":      false,
		"protection":     obj{"enabled": false, "required_status_checks": obj{"enforcement_level": "off", "contexts": []any{}, "checks": []any{}}},
		"protection_url": s.api("repos/%s/branches/%s/protection", full, pathEscape(name)),
	})
}

func (s *Server) getRef(c *reqCtx) response {
	ref := c.p["ref"]
	var sha string
	var found bool
	switch {
	case strings.HasPrefix(ref, "heads/"):
		sha, found = c.repo.branches[strings.TrimPrefix(ref, "heads/")]
	case strings.HasPrefix(ref, "tags/"):
		sha, found = c.repo.tags[strings.TrimPrefix(ref, "tags/")]
	}
	if !found {
		return s.notFound(c)
	}
	full := c.repo.fullName()
	return okJSON(obj{
		"ref":     "refs/" + ref,
		"node_id": nodeID("REF", int64(len(ref))),
		"url":     s.api("repos/%s/git/refs/%s", full, ref),
		"object": obj{
			"type": "commit",
			"sha":  sha,
			"url":  s.api("repos/%s/git/commits/%s", full, sha),
		},
	})
}

func (s *Server) getPull(c *reqCtx) response {
	r := c.repo
	pr := r.pulls[c.intParam("pull_number")]
	if pr == nil {
		return s.notFound(c)
	}
	full := r.fullName()
	base := s.api("repos/%s/pulls/%d", full, pr.Number)
	issue := s.api("repos/%s/issues/%d", full, pr.Number)
	html := fmt.Sprintf("%s%s/pull/%d", web, full, pr.Number)
	side := func(r *repoState, branch, sha string) obj {
		return obj{"label": r.owner.login + ":" + branch, "ref": branch, "sha": sha, "user": s.userJSON(r.owner), "repo": s.repoJSON(r)}
	}
	headRepo := r
	if pr.HeadRepo != "" {
		if fork := s.st.repo(pr.HeadRepo); fork != nil {
			headRepo = fork
		}
	}
	is := r.issues[pr.Number]
	state := pr.State
	if is != nil {
		state = is.State
	}
	var mergedAt any
	if pr.Merged {
		mergedAt = ts(pr.CreatedAt)
	}
	return okJSON(obj{
		"url":                   base,
		"id":                    pr.ID,
		"node_id":               nodeID("PR", pr.ID),
		"html_url":              html,
		"diff_url":              html + ".diff",
		"patch_url":             html + ".patch",
		"issue_url":             issue,
		"commits_url":           base + "/commits",
		"review_comments_url":   base + "/comments",
		"review_comment_url":    s.api("repos/%s/pulls/comments{/number}", full),
		"comments_url":          issue + "/comments",
		"statuses_url":          s.api("repos/%s/statuses/%s", full, pr.HeadSHA),
		"number":                pr.Number,
		"state":                 state,
		"locked":                false,
		"title":                 pr.Title,
		"user":                  s.userByLogin(pr.User),
		"body":                  strOrNil(pr.Body),
		"labels":                []any{},
		"milestone":             nil,
		"created_at":            ts(pr.CreatedAt),
		"updated_at":            ts(pr.CreatedAt),
		"closed_at":             nil,
		"merged_at":             mergedAt,
		"merge_commit_sha":      nil,
		"assignee":              nil,
		"assignees":             []any{},
		"requested_reviewers":   []any{},
		"requested_teams":       []any{},
		"head":                  side(headRepo, pr.Head, pr.HeadSHA),
		"base":                  side(r, pr.Base, r.branches[pr.Base]),
		"_links":                obj{"self": obj{"href": base}, "html": obj{"href": html}, "issue": obj{"href": issue}, "comments": obj{"href": issue + "/comments"}, "review_comments": obj{"href": base + "/comments"}, "review_comment": obj{"href": s.api("repos/%s/pulls/comments{/number}", full)}, "commits": obj{"href": base + "/commits"}, "statuses": obj{"href": s.api("repos/%s/statuses/%s", full, pr.HeadSHA)}},
		"author_association":    s.association(r, pr.User),
		"auto_merge":            nil,
		"draft":                 pr.Draft,
		"merged":                pr.Merged,
		"mergeable":             true,
		"rebaseable":            true,
		"mergeable_state":       "clean",
		"merged_by":             nil,
		"comments":              len(s.commentsOn(r, pr.Number)),
		"review_comments":       0,
		"maintainer_can_modify": false,
		"commits":               len(pr.Commits),
		"additions":             len(pr.Commits),
		"deletions":             0,
		"changed_files":         len(pr.Commits),
	})
}

func (s *Server) commentsOn(r *repoState, n int) []*Comment {
	var out []*Comment
	for _, cm := range sortedComments(r) {
		if cm.IssueNumber == n {
			out = append(out, cm)
		}
	}
	return out
}

func (s *Server) listPullCommits(c *reqCtx) response {
	pr := c.repo.pulls[c.intParam("pull_number")]
	if pr == nil {
		return s.notFound(c)
	}
	items := []any{}
	for _, sha := range pr.Commits {
		cm := c.repo.commits[sha]
		if cm == nil {
			cm = &Commit{SHA: sha, Author: pr.User, Date: pr.CreatedAt}
		}
		items = append(items, s.commitJSON(c.repo, cm, false))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) statusJSON(r *repoState, st *CommitStatus) obj {
	return obj{
		"url":         s.api("repos/%s/statuses/%s", r.fullName(), st.SHA),
		"avatar_url":  "https://avatars.githubusercontent.com/u/9919?v=4",
		"id":          st.ID,
		"node_id":     nodeID("SC", st.ID),
		"state":       st.State,
		"description": strOrNil(st.Description),
		"target_url":  strOrNil(st.TargetURL),
		"context":     st.Context,
		"created_at":  ts(st.CreatedAt),
		"updated_at":  ts(st.CreatedAt),
		"creator":     s.userByLogin(st.Creator),
	}
}

func (s *Server) createStatus(c *reqCtx) response {
	sha := c.p["sha"]
	if _, found := c.repo.commits[sha]; !found {
		return s.unprocessable(c, "No commit found for SHA: "+sha)
	}
	var req struct {
		State       string  `json:"state"`
		TargetURL   *string `json:"target_url"`
		Description *string `json:"description"`
		Context     string  `json:"context"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	st := &CommitStatus{ID: s.st.id(), SHA: sha, State: req.State, Context: req.Context, Creator: s.actor(c), CreatedAt: c.now}
	if st.Context == "" {
		st.Context = "default"
	}
	if req.TargetURL != nil {
		st.TargetURL = *req.TargetURL
	}
	if req.Description != nil {
		st.Description = *req.Description
	}
	c.repo.statuses = append(c.repo.statuses, st)
	return s.created(s.statusJSON(c.repo, st), s.api("repos/%s/statuses/%s", c.repo.fullName(), sha))
}

// getCombinedStatus reports the latest status per context and GitHub's
// combined state: failure if any failed or errored, pending if any is
// pending or there are none, else success.
func (s *Server) getCombinedStatus(c *reqCtx) response {
	sha, _, found := c.repo.resolveRef(c.p["ref"])
	if !found {
		return s.notFound(c)
	}
	latest := map[string]*CommitStatus{}
	for _, st := range c.repo.statuses {
		if st.SHA == sha {
			latest[st.Context] = st
		}
	}
	state := "success"
	if len(latest) == 0 {
		state = "pending"
	}
	var list []*CommitStatus
	for _, st := range latest {
		list = append(list, st)
		switch st.State {
		case "failure", "error":
			state = "failure"
		case "pending":
			if state != "failure" {
				state = "pending"
			}
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID > list[j].ID })
	items := []any{}
	for _, st := range list {
		o := s.statusJSON(c.repo, st)
		delete(o, "creator")
		items = append(items, o)
	}
	full := c.repo.fullName()
	return okJSON(obj{
		"state":       state,
		"sha":         sha,
		"total_count": len(items),
		"statuses":    items,
		"repository":  s.minimalRepoJSON(c.repo),
		"commit_url":  s.api("repos/%s/commits/%s", full, sha),
		"url":         s.api("repos/%s/commits/%s/status", full, sha),
	})
}
