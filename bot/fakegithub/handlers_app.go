package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) getApp(c *reqCtx) response { return okJSON(s.appJSON()) }

func (s *Server) listInstallations(c *reqCtx) response {
	items := []any{}
	for _, id := range s.st.instOrder {
		items = append(items, s.installationJSON(s.st.installations[id]))
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) getInstallation(c *reqCtx) response {
	inst, found := s.st.installations[c.int64Param("installation_id")]
	if !found {
		return s.notFound(c)
	}
	return okJSON(s.installationJSON(inst))
}

func (s *Server) getRepoInstallation(c *reqCtx) response {
	inst := s.st.installationFor(c.repo)
	if inst == nil {
		return s.notFound(c)
	}
	return okJSON(s.installationJSON(inst))
}

func (s *Server) createAccessToken(c *reqCtx) response {
	inst, found := s.st.installations[c.int64Param("installation_id")]
	if !found {
		return s.notFound(c)
	}
	if inst.suspended {
		return s.errorResponse(http.StatusForbidden, "This installation has been suspended", s.spec.docURL(c.method, c.route))
	}
	var req struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	available := s.st.reposOf(inst)
	var restricted map[string]bool
	var selected []*repoState
	pick := func(match func(*repoState) bool) bool {
		for _, r := range available {
			if match(r) {
				if restricted == nil {
					restricted = map[string]bool{}
				}
				if !restricted[r.key()] {
					restricted[r.key()] = true
					selected = append(selected, r)
				}
				return true
			}
		}
		return false
	}
	for _, name := range req.Repositories {
		if !pick(func(r *repoState) bool {
			return strings.EqualFold(r.name, name) || strings.EqualFold(r.fullName(), name)
		}) {
			return s.unprocessable(c, "There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	for _, id := range req.RepositoryIDs {
		if !pick(func(r *repoState) bool { return r.id == id }) {
			return s.unprocessable(c, "There is at least one repository that does not exist or is not accessible to the parent installation.")
		}
	}
	var perms map[string]string
	if len(req.Permissions) > 0 {
		perms = map[string]string{}
		for k, v := range req.Permissions {
			if !permits(inst.permissions, k, v == "write") {
				return s.unprocessable(c, "The permissions requested are not granted to this installation.")
			}
			perms[k] = v
		}
		if _, ok := perms["metadata"]; !ok {
			perms["metadata"] = "read"
		}
	}
	tok := s.mintToken(inst, restricted, perms)
	permObj := obj{}
	for k, v := range tok.permissions {
		permObj[k] = v
	}
	body := obj{
		"token":                tok.token,
		"expires_at":           ts(tok.expiresAt),
		"permissions":          permObj,
		"repository_selection": "all",
	}
	if !inst.allRepos {
		body["repository_selection"] = "selected"
	}
	if restricted != nil {
		body["repository_selection"] = "selected"
		repos := []any{}
		for _, r := range selected {
			repos = append(repos, s.repoJSON(r))
		}
		body["repositories"] = repos
	}
	return s.created(body, "")
}

func (s *Server) getHookConfig(c *reqCtx) response { return okJSON(s.hookConfigJSON()) }

func (s *Server) hookConfigJSON() obj {
	out := obj{}
	for k, v := range s.st.hookCfg {
		out[k] = v
	}
	return out
}

func (s *Server) updateHookConfig(c *reqCtx) response {
	var req map[string]any
	if err := c.decode(&req); err != nil {
		return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", s.spec.docURL(c.method, c.route))
	}
	for k, v := range req {
		switch k {
		case "secret":
			s.st.hookCfg["secret"] = "********"
		case "insecure_ssl":
			s.st.hookCfg[k] = fmt.Sprint(v)
		default:
			s.st.hookCfg[k] = v
		}
	}
	return okJSON(s.hookConfigJSON())
}

// listDeliveries pages the App's deliveries newest first with GitHub's
// cursor pagination: the Link header's next URL carries ?cursor=.
func (s *Server) listDeliveries(c *reqCtx) response {
	_, per := pageParams(c.q, 30)
	var start int64 = -1 // highest ID to include
	if cur := c.q.Get("cursor"); cur != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(cur, "v1_"), 10, 64)
		if err != nil {
			return s.errorResponse(http.StatusBadRequest, "Invalid cursor", s.spec.docURL(c.method, c.route))
		}
		start = id
	}
	status := c.q.Get("status")
	var page []any
	var next int64
	for i := len(s.st.deliveries) - 1; i >= 0; i-- {
		d := s.st.deliveries[i]
		if start >= 0 && d.ID > start {
			continue
		}
		success := d.StatusCode >= 200 && d.StatusCode <= 299
		if status == "success" && !success || status == "failure" && success {
			continue
		}
		if len(page) == per {
			next = d.ID
			break
		}
		page = append(page, s.deliveryJSON(d, false))
	}
	if page == nil {
		page = []any{}
	}
	h := http.Header{}
	if next != 0 {
		q := url.Values{}
		for k, v := range c.q {
			q[k] = v
		}
		q.Set("per_page", strconv.Itoa(per))
		q.Set("cursor", "v1_"+strconv.FormatInt(next, 10))
		h.Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, s.host, c.r.URL.EscapedPath(), q.Encode()))
	}
	return response{status: http.StatusOK, body: page, header: h}
}

func (s *Server) delivery(id int64) *HookDelivery {
	for _, d := range s.st.deliveries {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (s *Server) getDelivery(c *reqCtx) response {
	d := s.delivery(c.int64Param("delivery_id"))
	if d == nil {
		return s.notFound(c)
	}
	return okJSON(s.deliveryJSON(d, true))
}

// redeliver records a redelivery request and, as GitHub does, a new
// delivery marked as a redelivery of the same event.
func (s *Server) redeliver(c *reqCtx) response {
	d := s.delivery(c.int64Param("delivery_id"))
	if d == nil {
		return s.notFound(c)
	}
	s.st.redeliveries = append(s.st.redeliveries, d.ID)
	again := *d
	again.ID = 0
	again.Redelivery = true
	again.StatusCode = http.StatusOK
	again.DeliveredAt = c.now.Truncate(time.Second)
	s.addDelivery(again)
	return response{status: http.StatusAccepted, body: obj{}}
}

func (s *Server) convertManifest(c *reqCtx) response {
	code := c.p["code"]
	m, found := s.st.manifests[code]
	if !found {
		return s.notFound(c)
	}
	delete(s.st.manifests, code)
	body := s.appJSON()
	body["client_id"] = m.ClientID
	body["client_secret"] = m.ClientSecret
	body["webhook_secret"] = m.WebhookSecret
	body["pem"] = m.PEM
	if m.Manifest != nil {
		s.applyManifest(body, m.Manifest)
	}
	return s.created(body, "")
}

func (s *Server) getUser(c *reqCtx) response {
	u, found := s.st.users[strings.ToLower(c.p["username"])]
	if !found {
		return s.notFound(c)
	}
	o := s.userJSON(u)
	o["name"] = strOrNil(u.name)
	o["company"] = nil
	o["blog"] = ""
	o["location"] = nil
	o["email"] = strOrNil(u.email)
	o["hireable"] = nil
	o["bio"] = nil
	o["public_repos"] = 0
	o["public_gists"] = 0
	o["followers"] = 0
	o["following"] = 0
	o["created_at"] = ts(s.st.created)
	o["updated_at"] = ts(s.st.created)
	return okJSON(o)
}

func (s *Server) getTeamMembership(c *reqCtx) response {
	t, found := s.st.teams[strings.ToLower(c.p["org"]+"/"+c.p["team_slug"])]
	if !found {
		return s.notFound(c)
	}
	role, member := t.members[strings.ToLower(c.p["username"])]
	if !member {
		return s.notFound(c)
	}
	return okJSON(obj{
		"url":   s.api("organizations/%d/team/%d/memberships/%s", s.st.user(t.org, "Organization").id, t.id, t.logins[strings.ToLower(c.p["username"])]),
		"role":  role,
		"state": "active",
	})
}
