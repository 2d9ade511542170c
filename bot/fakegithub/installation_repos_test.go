package fakegithub

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// GET /installation/repositories lists the repositories of the token's
// installation, in GitHub's shape, paginated like GitHub's other lists;
// go-github's ListRepos follows the pages.
func TestInstallationRepositories(t *testing.T) {
	srv := newTestServer(t, Options{})
	ctx := context.Background()
	// testInstall already has acme/api; two more selected repositories, and
	// an acme repository the installation was not given.
	srv.AddInstallation(testInstall, testOrg, "Organization", "acme/web", "acme/worker")
	srv.AddRepo("acme/private", RepoOpts{Private: true})
	// An "all repositories" installation: every repository its account
	// owns, and nobody else's.
	srv.AddRepo("initech/app", RepoOpts{Private: true})
	srv.AddRepo("initech/site", RepoOpts{})
	srv.AddInstallation(6161, "initech", "Organization")

	gh := installationClient(t, srv, testInstall)
	first, resp, err := gh.Apps.ListRepos(ctx, &github.ListOptions{PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	if first.GetTotalCount() != 3 || len(first.Repositories) != 2 || first.Repositories[0].GetFullName() != "acme/api" || first.Repositories[1].GetFullName() != "acme/web" {
		t.Fatalf("first page = %d total, %v", first.GetTotalCount(), repoNames(first.Repositories))
	}
	if link := resp.Header.Get("Link"); resp.NextPage != 2 || resp.LastPage != 2 || !strings.Contains(link, `per_page=2`) {
		t.Fatalf("Link of the first page: %q", link)
	}
	var all []*github.Repository
	opts := &github.ListOptions{PerPage: 2}
	for {
		page, resp, err := gh.Apps.ListRepos(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Repositories...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if got := strings.Join(repoNames(all), " "); got != "acme/api acme/web acme/worker" {
		t.Fatalf("all pages: %s", got)
	}

	// The raw shape: repository_selection says how the installation was
	// given its repositories.
	raw := func(token string) (int, map[string]any) {
		resp := do(t, srv, "GET", "installation/repositories", "token "+token, nil)
		var body map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &body)
		return resp.StatusCode, body
	}
	code, body := raw(srv.InstallationToken(testInstall))
	if code != http.StatusOK || body["repository_selection"] != "selected" || body["total_count"] != float64(3) {
		t.Fatalf("selected installation: %d %v %v", code, body["repository_selection"], body["total_count"])
	}
	code, body = raw(srv.InstallationToken(6161))
	repos, _ := body["repositories"].([]any)
	if code != http.StatusOK || body["repository_selection"] != "all" || len(repos) != 2 {
		t.Fatalf("all-repositories installation: %d %v %d repositories", code, body["repository_selection"], len(repos))
	}
	if r := repos[0].(map[string]any); r["full_name"] != "initech/app" || r["private"] != true {
		t.Fatalf("first repository of initech: %v %v", r["full_name"], r["private"])
	}

	// A token restricted to some repositories lists only those.
	app := appClient(t, srv)
	tok := must[*github.InstallationToken](t, "restricted token")(app.Apps.CreateInstallationToken(ctx, testInstall, &github.InstallationTokenOptions{Repositories: []string{"worker"}}))
	code, body = raw(tok.GetToken())
	repos, _ = body["repositories"].([]any)
	if code != http.StatusOK || len(repos) != 1 || repos[0].(map[string]any)["full_name"] != "acme/worker" || body["repository_selection"] != "selected" {
		t.Fatalf("restricted token: %d %v", code, body)
	}

	// Only installation tokens: the App's JWT and no credentials are
	// refused, and so is a suspended installation.
	if resp := do(t, srv, "GET", "installation/repositories", "Bearer "+srv.AppJWT(), nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("with the App's JWT: %d, want 403", resp.StatusCode)
	}
	if resp := do(t, srv, "GET", "installation/repositories", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without credentials: %d, want 401", resp.StatusCode)
	}
	suspended := srv.InstallationToken(otherInstall)
	srv.SuspendInstallation(otherInstall, true)
	if code, _ := raw(suspended); code != http.StatusForbidden {
		t.Fatalf("suspended installation: %d, want 403", code)
	}
	noViolations(t, srv)
}

func repoNames(rs []*github.Repository) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.GetFullName()
	}
	return out
}
