package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

func (s *Server) listIssues(c *reqCtx) response {
	r := c.repo
	state := c.q.Get("state")
	if state == "" {
		state = "open"
	}
	var labels []string
	if v := c.q.Get("labels"); v != "" {
		labels = strings.Split(v, ",")
	}
	var since time.Time
	if v := c.q.Get("since"); v != "" {
		since, _ = time.Parse(time.RFC3339, v)
	}
	var list []*Issue
	for _, is := range r.issues {
		if state != "all" && is.State != state {
			continue
		}
		if v := c.q.Get("creator"); v != "" && !strings.EqualFold(v, is.User) {
			continue
		}
		switch v := c.q.Get("assignee"); v {
		case "":
		case "*":
			if len(is.Assignees) == 0 {
				continue
			}
		case "none":
			if len(is.Assignees) > 0 {
				continue
			}
		default:
			if !containsFold(is.Assignees, v) {
				continue
			}
		}
		if !since.IsZero() && is.UpdatedAt.Before(since) {
			continue
		}
		all := true
		for _, l := range labels {
			if !containsFold(is.Labels, strings.TrimSpace(l)) {
				all = false
			}
		}
		if !all {
			continue
		}
		list = append(list, is)
	}
	key := func(is *Issue) time.Time { return is.CreatedAt }
	if c.q.Get("sort") == "updated" {
		key = func(is *Issue) time.Time { return is.UpdatedAt }
	}
	asc := c.q.Get("direction") == "asc"
	sort.Slice(list, func(i, j int) bool {
		a, b := key(list[i]), key(list[j])
		if a.Equal(b) {
			if asc {
				return list[i].Number < list[j].Number
			}
			return list[i].Number > list[j].Number
		}
		if asc {
			return a.Before(b)
		}
		return a.After(b)
	})
	items := []any{}
	for _, is := range list {
		items = append(items, s.issueJSON(r, is))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// labelNames reads a labels array whose items are names or {"name": ...}.
func labelNames(raw []json.RawMessage) []string {
	var out []string
	for _, item := range raw {
		var name string
		if json.Unmarshal(item, &name) == nil {
			out = append(out, name)
			continue
		}
		var o struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(item, &o) == nil && o.Name != "" {
			out = append(out, o.Name)
		}
	}
	return out
}

func (s *Server) createIssue(c *reqCtx) response {
	var req struct {
		Title     any               `json:"title"`
		Body      *string           `json:"body"`
		Labels    []json.RawMessage `json:"labels"`
		Assignees []string          `json:"assignees"`
		Assignee  *string           `json:"assignee"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	title := ""
	if req.Title != nil {
		title = fmt.Sprint(req.Title)
	}
	if title == "" {
		return s.validationFailed(c, "Issue", "title", "missing_field")
	}
	is := Issue{Title: title, User: s.actor(c), Labels: labelNames(req.Labels), Assignees: req.Assignees}
	if req.Body != nil {
		is.Body = *req.Body
	}
	if req.Assignee != nil && *req.Assignee != "" && len(is.Assignees) == 0 {
		is.Assignees = []string{*req.Assignee}
	}
	stored := s.addIssue(c.repo, is)
	return s.created(s.issueJSON(c.repo, stored), s.api("repos/%s/issues/%d", c.repo.fullName(), stored.Number))
}

func (s *Server) issue(c *reqCtx) *Issue { return c.repo.issues[c.intParam("issue_number")] }

func (s *Server) getIssue(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	return okJSON(s.issueJSON(c.repo, is))
}

func (s *Server) updateIssue(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	var req map[string]json.RawMessage
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	str := func(raw json.RawMessage) string {
		var v any
		_ = json.Unmarshal(raw, &v)
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	if raw, ok := req["title"]; ok {
		is.Title = str(raw)
	}
	if raw, ok := req["body"]; ok {
		is.Body = str(raw)
	}
	if raw, ok := req["state"]; ok {
		st := str(raw)
		if st != is.State {
			is.State = st
			if st == "closed" {
				is.ClosedAt = c.now
				is.StateReason = "completed"
			} else {
				is.ClosedAt = time.Time{}
				is.StateReason = "reopened"
			}
		}
	}
	if raw, ok := req["state_reason"]; ok {
		if v := str(raw); v != "" {
			is.StateReason = v
		}
	}
	if raw, ok := req["labels"]; ok {
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		is.Labels = nil
		for _, l := range labelNames(items) {
			s.ensureLabel(c.repo, l)
			is.Labels = append(is.Labels, l)
		}
	}
	if raw, ok := req["assignees"]; ok {
		is.Assignees = nil
		_ = json.Unmarshal(raw, &is.Assignees)
	}
	is.UpdatedAt = c.now
	return okJSON(s.issueJSON(c.repo, is))
}

func (s *Server) listComments(c *reqCtx) response {
	n := c.intParam("issue_number")
	if c.repo.issues[n] == nil {
		return s.notFound(c)
	}
	var since time.Time
	if v := c.q.Get("since"); v != "" {
		since, _ = time.Parse(time.RFC3339, v)
	}
	items := []any{}
	for _, cm := range sortedComments(c.repo) {
		if cm.IssueNumber == n && (since.IsZero() || !cm.UpdatedAt.Before(since)) {
			items = append(items, s.commentJSON(c.repo, cm))
		}
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) createComment(c *reqCtx) response {
	n := c.intParam("issue_number")
	is := c.repo.issues[n]
	if is == nil {
		return s.notFound(c)
	}
	if is.Locked {
		return s.errorResponse(http.StatusForbidden, "Unable to create comment because issue is locked.", s.spec.docURL(c.method, c.route))
	}
	var req struct {
		Body string `json:"body"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	if strings.TrimSpace(req.Body) == "" {
		return s.validationFailed(c, "IssueComment", "body", "missing_field")
	}
	cm := s.addComment(c.repo, n, s.actor(c), req.Body, c.now)
	return s.created(s.commentJSON(c.repo, cm), cm.URL)
}

func (s *Server) comment(c *reqCtx) *Comment { return c.repo.comments[c.int64Param("comment_id")] }

func (s *Server) getComment(c *reqCtx) response {
	cm := s.comment(c)
	if cm == nil {
		return s.notFound(c)
	}
	return okJSON(s.commentJSON(c.repo, cm))
}

func (s *Server) updateComment(c *reqCtx) response {
	cm := s.comment(c)
	if cm == nil {
		return s.notFound(c)
	}
	var req struct {
		Body string `json:"body"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	cm.Body = req.Body
	cm.UpdatedAt = c.now
	return okJSON(s.commentJSON(c.repo, cm))
}

func (s *Server) deleteComment(c *reqCtx) response {
	cm := s.comment(c)
	if cm == nil {
		return s.notFound(c)
	}
	delete(c.repo.comments, cm.ID)
	for id, x := range c.repo.reactions {
		if x.CommentID == cm.ID {
			delete(c.repo.reactions, id)
		}
	}
	return noContent()
}

func (s *Server) listReactions(c *reqCtx, issue int, comment int64) response {
	var list []*Reaction
	for _, x := range c.repo.reactions {
		if x.CommentID == comment && (comment != 0 || x.IssueNumber == issue) {
			if v := c.q.Get("content"); v == "" || v == x.Content {
				list = append(list, x)
			}
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	items := []any{}
	for _, x := range list {
		items = append(items, s.reactionJSON(x))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

// createReaction adds a reaction, or answers 200 with the existing one when
// the same user already reacted with the same content, as GitHub does.
func (s *Server) createReaction(c *reqCtx, issue int, comment int64) response {
	var req struct {
		Content string `json:"content"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	user := s.actor(c)
	for _, x := range c.repo.reactions {
		if x.CommentID == comment && x.IssueNumber == issue && x.Content == req.Content && strings.EqualFold(x.User, user) {
			return okJSON(s.reactionJSON(x))
		}
	}
	x := &Reaction{ID: s.st.id(), IssueNumber: issue, CommentID: comment, Content: req.Content, User: user, CreatedAt: c.now}
	c.repo.reactions[x.ID] = x
	return s.created(s.reactionJSON(x), "")
}

func (s *Server) deleteReaction(c *reqCtx, issue int, comment int64) response {
	id := c.int64Param("reaction_id")
	x, found := c.repo.reactions[id]
	if !found || x.CommentID != comment || x.IssueNumber != issue {
		return s.notFound(c)
	}
	delete(c.repo.reactions, id)
	return noContent()
}

func (s *Server) listCommentReactions(c *reqCtx) response {
	cm := s.comment(c)
	if cm == nil {
		return s.notFound(c)
	}
	return s.listReactions(c, cm.IssueNumber, cm.ID)
}

func (s *Server) createCommentReaction(c *reqCtx) response {
	cm := s.comment(c)
	if cm == nil {
		return s.notFound(c)
	}
	return s.createReaction(c, cm.IssueNumber, cm.ID)
}

func (s *Server) deleteCommentReaction(c *reqCtx) response {
	cm := s.comment(c)
	if cm == nil {
		return s.notFound(c)
	}
	return s.deleteReaction(c, cm.IssueNumber, cm.ID)
}

func (s *Server) listIssueReactions(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	return s.listReactions(c, is.Number, 0)
}

func (s *Server) createIssueReaction(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	return s.createReaction(c, is.Number, 0)
}

func (s *Server) deleteIssueReaction(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	return s.deleteReaction(c, is.Number, 0)
}

func (s *Server) issueLabelsJSON(c *reqCtx, is *Issue) []any {
	items := []any{}
	for _, name := range is.Labels {
		items = append(items, s.labelJSON(c.repo, s.ensureLabel(c.repo, name)))
	}
	return items
}

func (s *Server) listIssueLabels(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	page, h := s.paginate(c, s.issueLabelsJSON(c, is), 30)
	return response{status: http.StatusOK, body: page, header: h}
}

// addIssueLabels adds labels (creating unknown ones, as GitHub does) and
// answers with all the issue's labels.
func (s *Server) addIssueLabels(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	var req struct {
		Labels []json.RawMessage `json:"labels"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	for _, name := range labelNames(req.Labels) {
		l := s.ensureLabel(c.repo, name)
		if !containsFold(is.Labels, l.Name) {
			is.Labels = append(is.Labels, l.Name)
		}
	}
	is.UpdatedAt = c.now
	return okJSON(s.issueLabelsJSON(c, is))
}

func (s *Server) removeIssueLabel(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	name := c.p["name"]
	for i, l := range is.Labels {
		if strings.EqualFold(l, name) {
			is.Labels = append(is.Labels[:i:i], is.Labels[i+1:]...)
			is.UpdatedAt = c.now
			return okJSON(s.issueLabelsJSON(c, is))
		}
	}
	return s.errorResponse(http.StatusNotFound, "Label does not exist", s.spec.docURL(c.method, c.route))
}

func (s *Server) listLabels(c *reqCtx) response {
	items := []any{}
	for _, k := range sortedKeys(c.repo.labels) {
		items = append(items, s.labelJSON(c.repo, c.repo.labels[k]))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) createLabel(c *reqCtx) response {
	var req struct {
		Name        string `json:"name"`
		Color       string `json:"color"`
		Description string `json:"description"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	if _, exists := c.repo.labels[strings.ToLower(req.Name)]; exists {
		return s.validationFailed(c, "Label", "name", "already_exists")
	}
	l := s.ensureLabel(c.repo, req.Name)
	if req.Color != "" {
		l.Color = strings.TrimPrefix(req.Color, "#")
	}
	l.Description = req.Description
	return s.created(s.labelJSON(c.repo, l), s.api("repos/%s/labels/%s", c.repo.fullName(), pathEscape(l.Name)))
}

func (s *Server) getLabel(c *reqCtx) response {
	l, found := c.repo.labels[strings.ToLower(c.p["name"])]
	if !found {
		return s.notFound(c)
	}
	return okJSON(s.labelJSON(c.repo, l))
}

// listTimeline renders the issue's labels and comments as timeline events.
func (s *Server) listTimeline(c *reqCtx) response {
	is := s.issue(c)
	if is == nil {
		return s.notFound(c)
	}
	r := c.repo
	type ev struct {
		at   time.Time
		id   int64
		body obj
	}
	var evs []ev
	for _, name := range is.Labels {
		l := s.ensureLabel(r, name)
		evs = append(evs, ev{is.CreatedAt, l.ID, obj{
			"id":                       l.ID,
			"node_id":                  nodeID("LE", l.ID),
			"url":                      s.api("repos/%s/issues/events/%d", r.fullName(), l.ID),
			"actor":                    s.userByLogin(is.User),
			"event":                    "labeled",
			"commit_id":                nil,
			"commit_url":               nil,
			"created_at":               ts(is.CreatedAt),
			"performed_via_github_app": nil,
			"label":                    obj{"name": l.Name, "color": l.Color},
		}})
	}
	for _, cm := range sortedComments(r) {
		if cm.IssueNumber != is.Number {
			continue
		}
		body := s.commentJSON(r, cm)
		body["event"] = "commented"
		body["actor"] = s.userByLogin(cm.User)
		evs = append(evs, ev{cm.CreatedAt, cm.ID, body})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].at.Equal(evs[j].at) {
			return evs[i].id < evs[j].id
		}
		return evs[i].at.Before(evs[j].at)
	})
	items := []any{}
	for _, e := range evs {
		items = append(items, e.body)
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}
