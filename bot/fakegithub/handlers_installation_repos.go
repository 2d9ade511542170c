package fakegithub

import "net/http"

// listInstallationRepos is GET /installation/repositories: the repositories
// the token's installation can reach, in creation order (only those a token
// was restricted to when it was minted for some), paginated like GitHub's
// other lists (page, per_page and a Link header), in GitHub's shape
// {total_count, repositories, repository_selection}. total_count counts every
// repository, not only the page's.
func (s *Server) listInstallationRepos(c *reqCtx) response {
	inst := s.st.installations[c.auth.installationID] // present: needInstall
	items := []any{}
	for _, r := range s.st.reposOf(inst) {
		if c.auth.token.repos != nil && !c.auth.token.repos[r.key()] {
			continue
		}
		items = append(items, s.repoJSON(r))
	}
	selection := "all"
	if !inst.allRepos || c.auth.token.repos != nil {
		selection = "selected"
	}
	page, h := s.paginate(c, items, 30)
	return response{status: http.StatusOK, header: h, body: obj{
		"total_count":          len(items),
		"repositories":         page,
		"repository_selection": selection,
	}}
}
