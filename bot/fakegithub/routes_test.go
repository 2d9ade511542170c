package fakegithub

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// TestEveryOperationAnswered drives every operation of the REST subset with
// the clients golive uses (go-github v60 through ghinstallation v2.10.0, and
// raw requests through the same client where go-github has no method or
// shapes the request differently from the spec). It checks each answer's
// content, that no request violated the spec, that every operation in the
// spec got a 2xx answer, and (in the cleanup) that every response matches
// the spec's schema.
func TestEveryOperationAnswered(t *testing.T) {
	srv := newTestServer(t, Options{})
	ctx := context.Background()
	const owner, repo = "acme", "api"

	srv.SetPermission(testRepo, "alice", "write", "maintain")
	srv.PutFile(testRepo, ".github/workflows/deploy.yml", "name: Deploy\non: workflow_dispatch\n")
	srv.PutFile(testRepo, "README.md", "# api\n")
	wf := srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/deploy.yml", Name: "Deploy", RunName: "Deploy ${{ inputs.version }} to ${{ inputs.environment }}"})
	srv.AddEnvironment(testRepo, Environment{Name: "production", Secrets: []string{"DEPLOY_KEY"}, Variables: []Variable{{Name: "REGION", Value: "eu-west-1"}}, WaitTimer: 5, Reviewers: []string{"alice"}})
	srv.AddRepoSecret(testRepo, "SLACK_TOKEN")
	srv.SetRepoVariable(testRepo, "CLUSTER", "prod-1")
	srv.AddTeam(testOrg, "deployers", "alice")
	srv.AddRepoTeam(testRepo, testOrg, "deployers", "push")
	srv.AddUser("alice", "User", "Alice Liddell")
	featureSHA := srv.AddCommit(testRepo, "feature/login", Commit{Message: "Add login", Files: []string{"login.go"}})
	pr := srv.AddPullRequest(testRepo, PullRequest{Title: "Add login", Head: "feature/login", User: "alice", Commits: []string{featureSHA}})
	srv.AddHookDelivery(HookDelivery{ID: 900, Event: "issues", Action: "opened", StatusCode: 502, InstallationID: testInstall, Payload: map[string]any{"action": "opened"}})
	srv.AddManifestCode("manifest-code-1")
	perms := defaultPermissions()
	perms["administration"] = "write" // to create a protection rule
	srv.SetInstallationPermissions(testInstall, perms)

	app := appClient(t, srv)
	gh := installationClient(t, srv, testInstall)

	// The App.
	a := must[*github.App](t, "get app")(app.Apps.Get(ctx, ""))
	if a.GetID() != srv.AppID() || a.GetSlug() != "golive" {
		t.Errorf("app = %d %q, want %d golive", a.GetID(), a.GetSlug(), srv.AppID())
	}
	insts := must[[]*github.Installation](t, "list installations")(app.Apps.ListInstallations(ctx, nil))
	if len(insts) != 2 || insts[0].GetID() != testInstall || insts[0].GetAccount().GetLogin() != testOrg {
		t.Errorf("installations = %+v", insts)
	}
	inst := must[*github.Installation](t, "get installation")(app.Apps.GetInstallation(ctx, testInstall))
	if inst.GetRepositorySelection() != "selected" || inst.GetAppID() != srv.AppID() {
		t.Errorf("installation = %+v", inst)
	}
	tok := must[*github.InstallationToken](t, "create token")(app.Apps.CreateInstallationToken(ctx, testInstall, &github.InstallationTokenOptions{Repositories: []string{"api"}}))
	if !strings.HasPrefix(tok.GetToken(), "ghs_") || len(tok.Repositories) != 1 || tok.GetPermissions().GetIssues() != "write" {
		t.Errorf("token = %+v", tok)
	}
	if d := tok.GetExpiresAt().Sub(time.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("token expires in %v, want 1h", d)
	}
	if rs := must[*github.ListRepositories](t, "list installation repositories")(gh.Apps.ListRepos(ctx, nil)); rs.GetTotalCount() != 1 || len(rs.Repositories) != 1 || rs.Repositories[0].GetFullName() != testRepo {
		t.Errorf("installation repositories = %+v", rs)
	}
	ri := must[*github.Installation](t, "find repo installation")(app.Apps.FindRepositoryInstallation(ctx, owner, repo))
	if ri.GetID() != testInstall {
		t.Errorf("repo installation = %d, want %d", ri.GetID(), testInstall)
	}
	must[*github.HookConfig](t, "update hook config")(app.Apps.UpdateHookConfig(ctx, &github.HookConfig{URL: github.String("https://hooks.example.com/gh"), Secret: github.String("s3cret")}))
	cfg := must[*github.HookConfig](t, "get hook config")(app.Apps.GetHookConfig(ctx))
	if cfg.GetURL() != "https://hooks.example.com/gh" || cfg.GetSecret() != "********" {
		t.Errorf("hook config = %+v", cfg)
	}
	dels := must[[]*github.HookDelivery](t, "list deliveries")(app.Apps.ListHookDeliveries(ctx, nil))
	if len(dels) != 1 || dels[0].GetID() != 900 || dels[0].GetStatusCode() != 502 {
		t.Errorf("deliveries = %+v", dels)
	}
	del := must[*github.HookDelivery](t, "get delivery")(app.Apps.GetHookDelivery(ctx, 900))
	if del.GetEvent() != "issues" || del.Request == nil {
		t.Errorf("delivery = %+v", del)
	}
	if _, _, err := app.Apps.RedeliverHookDelivery(ctx, 900); !isAccepted(err) {
		t.Errorf("redeliver: %v, want 202 Accepted", err)
	}
	if got := srv.Redeliveries(); len(got) != 1 || got[0] != 900 {
		t.Errorf("redeliveries = %v", got)
	}
	conv := must[*github.AppConfig](t, "convert manifest")(anonClient(t, srv).Apps.CompleteAppManifest(ctx, "manifest-code-1"))
	if conv.GetID() != srv.AppID() || conv.GetPEM() != string(srv.PrivateKeyPEM()) || conv.GetWebhookSecret() == "" || conv.GetClientSecret() == "" {
		t.Errorf("manifest conversion = %+v", conv)
	}

	// Repositories, users, teams, environments.
	r := must[*github.Repository](t, "get repo")(gh.Repositories.Get(ctx, owner, repo))
	if r.GetDefaultBranch() != "main" || r.GetFullName() != testRepo {
		t.Errorf("repo = %s %s", r.GetFullName(), r.GetDefaultBranch())
	}
	perm := must[*github.RepositoryPermissionLevel](t, "permission")(gh.Repositories.GetPermissionLevel(ctx, owner, repo, "alice"))
	var permRaw struct {
		RoleName string `json:"role_name"`
	}
	rawDo(t, gh, "GET", "repos/acme/api/collaborators/alice/permission", nil, &permRaw)
	if perm.GetPermission() != "write" || permRaw.RoleName != "maintain" {
		t.Errorf("permission = %q %q", perm.GetPermission(), permRaw.RoleName)
	}
	teams := must[[]*github.Team](t, "repo teams")(gh.Repositories.ListTeams(ctx, owner, repo, nil))
	if len(teams) != 1 || teams[0].GetSlug() != "deployers" {
		t.Errorf("teams = %+v", teams)
	}
	mem := must[*github.Membership](t, "team membership")(gh.Teams.GetTeamMembershipBySlug(ctx, testOrg, "deployers", "alice"))
	if mem.GetRole() != "member" || mem.GetState() != "active" {
		t.Errorf("membership = %+v", mem)
	}
	u := must[*github.User](t, "get user")(gh.Users.Get(ctx, "alice"))
	if u.GetName() != "Alice Liddell" {
		t.Errorf("user name = %q", u.GetName())
	}
	envs := must[*github.EnvResponse](t, "environments")(gh.Repositories.ListEnvironments(ctx, owner, repo, nil))
	if envs.GetTotalCount() != 1 || envs.Environments[0].GetName() != "production" {
		t.Errorf("environments = %+v", envs)
	}
	env := must[*github.Environment](t, "environment")(gh.Repositories.GetEnvironment(ctx, owner, repo, "production"))
	if len(env.ProtectionRules) != 2 {
		t.Errorf("protection rules = %+v", env.ProtectionRules)
	}
	var secrets github.Secrets
	rawDo(t, gh, "GET", "repos/acme/api/environments/production/secrets", nil, &secrets)
	if secrets.TotalCount != 1 || secrets.Secrets[0].Name != "DEPLOY_KEY" {
		t.Errorf("environment secrets = %+v", secrets)
	}
	var vars github.ActionsVariables
	rawDo(t, gh, "GET", "repos/acme/api/environments/production/variables", nil, &vars)
	if vars.TotalCount != 1 || vars.Variables[0].Value != "eu-west-1" {
		t.Errorf("environment variables = %+v", vars)
	}
	rule := must[*github.CustomDeploymentProtectionRule](t, "create rule")(gh.Repositories.CreateCustomDeploymentProtectionRule(ctx, owner, repo, "production", &github.CustomDeploymentProtectionRuleRequest{IntegrationID: github.Int64(srv.AppID())}))
	rules := must[*github.ListDeploymentProtectionRuleResponse](t, "list rules")(gh.Repositories.GetAllDeploymentProtectionRules(ctx, owner, repo, "production"))
	if rules.GetTotalCount() != 1 || rules.ProtectionRules[0].GetID() != rule.GetID() || rules.ProtectionRules[0].GetApp().GetSlug() != "golive" {
		t.Errorf("rules = %+v", rules)
	}
	rs := must[*github.Secrets](t, "repo secrets")(gh.Actions.ListRepoSecrets(ctx, owner, repo, nil))
	if rs.TotalCount != 1 || rs.Secrets[0].Name != "SLACK_TOKEN" {
		t.Errorf("repo secrets = %+v", rs)
	}
	rv := must[*github.ActionsVariables](t, "repo variables")(gh.Actions.ListRepoVariables(ctx, owner, repo, nil))
	if rv.TotalCount != 1 || rv.Variables[0].Value != "prod-1" {
		t.Errorf("repo variables = %+v", rv)
	}

	// Issues, comments, labels, reactions.
	is := must[*github.Issue](t, "create issue")(gh.Issues.Create(ctx, owner, repo, &github.IssueRequest{Title: github.String("Deploy v1.2"), Labels: &[]string{"deploy"}}))
	n := is.GetNumber()
	if n != pr.Number+1 || is.GetUser().GetLogin() != "golive[bot]" {
		t.Errorf("created issue #%d by %s", n, is.GetUser().GetLogin())
	}
	list := must[[]*github.Issue](t, "list issues")(gh.Issues.ListByRepo(ctx, owner, repo, &github.IssueListByRepoOptions{Labels: []string{"deploy"}}))
	if len(list) != 1 || list[0].GetNumber() != n {
		t.Errorf("issues labelled deploy = %+v", list)
	}
	if got := must[*github.Issue](t, "get issue")(gh.Issues.Get(ctx, owner, repo, n)); got.GetTitle() != "Deploy v1.2" {
		t.Errorf("issue title = %q", got.GetTitle())
	}
	must[*github.Issue](t, "edit issue")(gh.Issues.Edit(ctx, owner, repo, n, &github.IssueRequest{State: github.String("closed")}))
	if st, _ := srv.GetIssue(testRepo, n); st.State != "closed" || st.StateReason != "completed" {
		t.Errorf("issue after close = %+v", st)
	}
	cm := must[*github.IssueComment](t, "create comment")(gh.Issues.CreateComment(ctx, owner, repo, n, &github.IssueComment{Body: github.String("Deploying…")}))
	if cm.GetID() == 0 || !strings.Contains(cm.GetHTMLURL(), "#issuecomment-") || !strings.HasPrefix(cm.GetURL(), srv.URL) {
		t.Errorf("comment = %+v", cm)
	}
	must[*github.IssueComment](t, "edit comment")(gh.Issues.EditComment(ctx, owner, repo, cm.GetID(), &github.IssueComment{Body: github.String("Deployed")}))
	if got := must[*github.IssueComment](t, "get comment")(gh.Issues.GetComment(ctx, owner, repo, cm.GetID())); got.GetBody() != "Deployed" {
		t.Errorf("comment body = %q", got.GetBody())
	}
	if cs := must[[]*github.IssueComment](t, "list comments")(gh.Issues.ListComments(ctx, owner, repo, n, nil)); len(cs) != 1 {
		t.Errorf("comments = %d, want 1", len(cs))
	}
	react := must[*github.Reaction](t, "comment reaction")(gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, cm.GetID(), "rocket"))
	if rr := must[[]*github.Reaction](t, "list comment reactions")(gh.Reactions.ListIssueCommentReactions(ctx, owner, repo, cm.GetID(), nil)); len(rr) != 1 || rr[0].GetContent() != "rocket" {
		t.Errorf("comment reactions = %+v", rr)
	}
	mustResp(t, "delete comment reaction")(gh.Reactions.DeleteIssueCommentReaction(ctx, owner, repo, cm.GetID(), react.GetID()))
	ireact := must[*github.Reaction](t, "issue reaction")(gh.Reactions.CreateIssueReaction(ctx, owner, repo, n, "eyes"))
	if rr := must[[]*github.Reaction](t, "list issue reactions")(gh.Reactions.ListIssueReactions(ctx, owner, repo, n, nil)); len(rr) != 1 || rr[0].GetContent() != "eyes" {
		t.Errorf("issue reactions = %+v", rr)
	}
	mustResp(t, "delete issue reaction")(gh.Reactions.DeleteIssueReaction(ctx, owner, repo, n, ireact.GetID()))
	if got := srv.Reactions(testRepo); len(got) != 0 {
		t.Errorf("reactions left = %+v", got)
	}
	var added []*github.Label
	rawDo(t, gh, "POST", "repos/acme/api/issues/1/labels", map[string][]string{"labels": {"area/deploy", "bug"}}, &added)
	if len(added) != 2 || added[0].GetName() != "area/deploy" {
		t.Errorf("labels after add = %+v", added)
	}
	mustResp(t, "remove label")(gh.Issues.RemoveLabelForIssue(ctx, owner, repo, 1, "area/deploy"))
	if ls := must[[]*github.Label](t, "issue labels")(gh.Issues.ListLabelsByIssue(ctx, owner, repo, 1, nil)); len(ls) != 1 || ls[0].GetName() != "bug" {
		t.Errorf("labels after remove = %+v", ls)
	}
	if tl := must[[]*github.Timeline](t, "timeline")(gh.Issues.ListIssueTimeline(ctx, owner, repo, n, nil)); len(tl) != 2 || tl[1].GetEvent() != "commented" {
		t.Errorf("timeline = %+v", tl)
	}
	must[*github.Label](t, "create label")(gh.Issues.CreateLabel(ctx, owner, repo, &github.Label{Name: github.String("release"), Color: github.String("00ff00")}))
	if l := must[*github.Label](t, "get label")(gh.Issues.GetLabel(ctx, owner, repo, "release")); l.GetColor() != "00ff00" {
		t.Errorf("label color = %q", l.GetColor())
	}
	if ls := must[[]*github.Label](t, "list labels")(gh.Issues.ListLabels(ctx, owner, repo, nil)); len(ls) < 5 {
		t.Errorf("repo labels = %d", len(ls))
	}
	mustResp(t, "delete comment")(gh.Issues.DeleteComment(ctx, owner, repo, cm.GetID()))
	if got := srv.Comments(testRepo, n); len(got) != 0 {
		t.Errorf("comments after delete = %+v", got)
	}

	// Contents, git data, pulls, statuses.
	file, _, _, err := gh.Repositories.GetContents(ctx, owner, repo, ".github/workflows/deploy.yml", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatalf("get contents: %v", err)
	}
	if text, _ := file.GetContent(); !strings.Contains(text, "workflow_dispatch") {
		t.Errorf("file content = %q", text)
	}
	_, dir, _, err := gh.Repositories.GetContents(ctx, owner, repo, ".github/workflows", nil)
	if err != nil || len(dir) != 1 || dir[0].GetName() != "deploy.yml" {
		t.Errorf("directory listing = %+v, %v", dir, err)
	}
	fc := must[*github.RepositoryContentResponse](t, "create file")(gh.Repositories.CreateFile(ctx, owner, repo, "deploy/VERSION", &github.RepositoryContentFileOptions{Message: github.String("bump"), Content: []byte("1.2.0\n")}))
	fu := must[*github.RepositoryContentResponse](t, "update file")(gh.Repositories.UpdateFile(ctx, owner, repo, "deploy/VERSION", &github.RepositoryContentFileOptions{Message: github.String("bump"), Content: []byte("1.2.1\n"), SHA: fc.Content.SHA}))
	fd := must[*github.RepositoryContentResponse](t, "delete file")(gh.Repositories.DeleteFile(ctx, owner, repo, "deploy/VERSION", &github.RepositoryContentFileOptions{Message: github.String("rm"), SHA: fu.Content.SHA}))
	head, _ := srv.Branch(testRepo, "main")
	if head != fd.Commit.GetSHA() || fd.Commit.Parents[0].GetSHA() != fu.Commit.GetSHA() {
		t.Errorf("main head %s after file commits, want %s", head, fd.Commit.GetSHA())
	}
	commit := must[*github.RepositoryCommit](t, "get commit")(gh.Repositories.GetCommit(ctx, owner, repo, featureSHA, nil))
	if commit.GetCommit().GetMessage() != "Add login" || len(commit.Files) != 1 {
		t.Errorf("commit = %+v", commit)
	}
	cmp := must[*github.CommitsComparison](t, "compare")(gh.Repositories.CompareCommits(ctx, owner, repo, "main", "feature/login", nil))
	if cmp.GetStatus() != "diverged" || cmp.GetAheadBy() != 1 || cmp.GetBehindBy() != 3 /* the three file commits */ {
		t.Errorf("compare = %s ahead %d behind %d", cmp.GetStatus(), cmp.GetAheadBy(), cmp.GetBehindBy())
	}
	br := must[*github.Branch](t, "get branch")(gh.Repositories.GetBranch(ctx, owner, repo, "feature/login", 0))
	if br.GetCommit().GetSHA() != featureSHA {
		t.Errorf("branch head = %s", br.GetCommit().GetSHA())
	}
	ref := must[*github.Reference](t, "get ref")(gh.Git.GetRef(ctx, owner, repo, "heads/feature/login"))
	if ref.GetObject().GetSHA() != featureSHA || ref.GetRef() != "refs/heads/feature/login" {
		t.Errorf("ref = %+v", ref)
	}
	p := must[*github.PullRequest](t, "get pull")(gh.PullRequests.Get(ctx, owner, repo, pr.Number))
	if p.GetHead().GetRef() != "feature/login" || p.GetHead().GetSHA() != featureSHA {
		t.Errorf("pull = %+v", p.GetHead())
	}
	if pc := must[[]*github.RepositoryCommit](t, "pull commits")(gh.PullRequests.ListCommits(ctx, owner, repo, pr.Number, nil)); len(pc) != 1 || pc[0].GetSHA() != featureSHA {
		t.Errorf("pull commits = %+v", pc)
	}
	must[*github.RepoStatus](t, "create status")(gh.Repositories.CreateStatus(ctx, owner, repo, featureSHA, &github.RepoStatus{State: github.String("failure"), Context: github.String("ci")}))
	combined := must[*github.CombinedStatus](t, "combined status")(gh.Repositories.GetCombinedStatus(ctx, owner, repo, "feature/login", nil))
	if combined.GetState() != "failure" || combined.GetTotalCount() != 1 {
		t.Errorf("combined status = %s/%d", combined.GetState(), combined.GetTotalCount())
	}

	// Actions.
	wfs := must[*github.Workflows](t, "workflows")(gh.Actions.ListWorkflows(ctx, owner, repo, nil))
	if wfs.GetTotalCount() != 1 || wfs.Workflows[0].GetID() != wf.ID {
		t.Errorf("workflows = %+v", wfs)
	}
	if w := must[*github.Workflow](t, "workflow")(gh.Actions.GetWorkflowByFileName(ctx, owner, repo, "deploy.yml")); w.GetPath() != wf.Path {
		t.Errorf("workflow path = %q", w.GetPath())
	}
	mustResp(t, "dispatch")(gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, owner, repo, "deploy.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: map[string]any{"version": "v1.2", "environment": "production"}}))
	ds := srv.Dispatches()
	if len(ds) != 1 || ds[0].Ref != "main" || ds[0].Inputs["version"] != "v1.2" || ds[0].InstallationID != testInstall {
		t.Fatalf("dispatches = %+v", ds)
	}
	runs := must[*github.WorkflowRuns](t, "workflow runs")(gh.Actions.ListWorkflowRunsByFileName(ctx, owner, repo, "deploy.yml", &github.ListWorkflowRunsOptions{Event: "workflow_dispatch", Branch: "main", Created: ">=2000-01-01"}))
	if runs.GetTotalCount() != 1 || runs.WorkflowRuns[0].GetDisplayTitle() != "Deploy v1.2 to production" || runs.WorkflowRuns[0].GetStatus() != "queued" {
		t.Fatalf("dispatched runs = %+v", runs)
	}
	runID := runs.WorkflowRuns[0].GetID()
	if all := must[*github.WorkflowRuns](t, "repo runs")(gh.Actions.ListRepositoryWorkflowRuns(ctx, owner, repo, &github.ListWorkflowRunsOptions{HeadSHA: "0000000"})); all.GetTotalCount() != 0 {
		t.Errorf("runs for unknown sha = %d", all.GetTotalCount())
	}
	if run := must[*github.WorkflowRun](t, "get run")(gh.Actions.GetWorkflowRunByID(ctx, owner, repo, runID)); run.GetEvent() != "workflow_dispatch" {
		t.Errorf("run event = %q", run.GetEvent())
	}
	job := srv.AddJob(testRepo, Job{RunID: runID, Name: "deploy", Status: "in_progress"})
	if jobs := must[*github.Jobs](t, "jobs")(gh.Actions.ListWorkflowJobs(ctx, owner, repo, runID, nil)); jobs.GetTotalCount() != 1 {
		t.Errorf("jobs = %+v", jobs)
	}
	if j := must[*github.WorkflowJob](t, "job")(gh.Actions.GetWorkflowJobByID(ctx, owner, repo, job.ID)); j.GetName() != "deploy" || j.GetRunID() != runID {
		t.Errorf("job = %+v", j)
	}
	srv.SetPendingDeployments(testRepo, runID, "production")
	var pending []map[string]any
	rawDo(t, gh, "GET", "repos/acme/api/actions/runs/"+itoa64(runID)+"/pending_deployments", nil, &pending)
	if len(pending) != 1 {
		t.Fatalf("pending deployments = %+v", pending)
	}
	envID := int64(pending[0]["environment"].(map[string]any)["id"].(float64))
	approved := must[[]*github.Deployment](t, "review pending")(gh.Actions.PendingDeployments(ctx, owner, repo, runID, &github.PendingDeploymentsRequest{EnvironmentIDs: []int64{envID}, State: "approved", Comment: "ship it"}))
	if len(approved) != 1 || approved[0].GetEnvironment() != "production" {
		t.Errorf("approved deployments = %+v", approved)
	}
	var approvals []map[string]any
	rawDo(t, gh, "GET", "repos/acme/api/actions/runs/"+itoa64(runID)+"/approvals", nil, &approvals)
	if len(approvals) != 1 || approvals[0]["state"] != "approved" {
		t.Errorf("approvals = %+v", approvals)
	}
	rawDo(t, gh, "POST", "repos/acme/api/actions/runs/"+itoa64(runID)+"/deployment_protection_rule", map[string]string{"environment_name": "production", "state": "approved", "comment": "checks passed"}, nil)
	if g := srv.GateReviews(); len(g) != 1 || g[0].RunID != runID || g[0].State != "approved" || g[0].InstallationID != testInstall {
		t.Errorf("gate reviews = %+v", g)
	}
	if _, err := gh.Actions.CancelWorkflowRunByID(ctx, owner, repo, runID); !isAccepted(err) {
		t.Errorf("cancel: %v, want 202", err)
	}
	mustResp(t, "rerun")(gh.Actions.RerunWorkflowByID(ctx, owner, repo, runID))
	srv.UpdateWorkflowRun(testRepo, runID, "completed", "failure")
	mustResp(t, "rerun failed jobs")(gh.Actions.RerunFailedJobsByID(ctx, owner, repo, runID))
	if runs := srv.WorkflowRuns(testRepo); runs[0].RunAttempt != 3 || runs[0].Status != "queued" {
		t.Errorf("run after reruns = %+v", runs[0])
	}

	// Deployments and checks.
	dep := must[*github.Deployment](t, "create deployment")(gh.Repositories.CreateDeployment(ctx, owner, repo, &github.DeploymentRequest{Ref: github.String("main"), Environment: github.String("staging"), Payload: map[string]string{"version": "v1.2"}, RequiredContexts: &[]string{}}))
	if dep.GetSHA() != head {
		t.Errorf("deployment sha = %q", dep.GetSHA())
	}
	if ds := must[[]*github.Deployment](t, "list deployments")(gh.Repositories.ListDeployments(ctx, owner, repo, &github.DeploymentsListOptions{Environment: "staging"})); len(ds) != 1 || ds[0].GetID() != dep.GetID() {
		t.Errorf("deployments = %+v", ds)
	}
	must[*github.Deployment](t, "get deployment")(gh.Repositories.GetDeployment(ctx, owner, repo, dep.GetID()))
	dst := must[*github.DeploymentStatus](t, "create deployment status")(gh.Repositories.CreateDeploymentStatus(ctx, owner, repo, dep.GetID(), &github.DeploymentStatusRequest{State: github.String("success"), LogURL: github.String("https://ci.example.com/1")}))
	if got := must[*github.DeploymentStatus](t, "get deployment status")(gh.Repositories.GetDeploymentStatus(ctx, owner, repo, dep.GetID(), dst.GetID())); got.GetState() != "success" {
		t.Errorf("deployment status = %q", got.GetState())
	}
	if sts := must[[]*github.DeploymentStatus](t, "list statuses")(gh.Repositories.ListDeploymentStatuses(ctx, owner, repo, dep.GetID(), nil)); len(sts) != 1 {
		t.Errorf("deployment statuses = %d", len(sts))
	}
	mustResp(t, "delete deployment")(gh.Repositories.DeleteDeployment(ctx, owner, repo, dep.GetID()))
	cr := must[*github.CheckRun](t, "create check run")(gh.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{Name: "golive/deploy", HeadSHA: featureSHA, Status: github.String("in_progress")}))
	must[*github.CheckRun](t, "update check run")(gh.Checks.UpdateCheckRun(ctx, owner, repo, cr.GetID(), github.UpdateCheckRunOptions{Name: "golive/deploy", Conclusion: github.String("success"), Output: &github.CheckRunOutput{Title: github.String("Deployed"), Summary: github.String("v1.2 is live")}}))
	if got := must[*github.CheckRun](t, "get check run")(gh.Checks.GetCheckRun(ctx, owner, repo, cr.GetID())); got.GetStatus() != "completed" || got.GetConclusion() != "success" || got.GetApp().GetID() != srv.AppID() {
		t.Errorf("check run = %s/%s app %d", got.GetStatus(), got.GetConclusion(), got.GetApp().GetID())
	}
	if crs := must[*github.ListCheckRunsResults](t, "check runs for ref")(gh.Checks.ListCheckRunsForRef(ctx, owner, repo, "feature/login", nil)); crs.GetTotal() != 1 {
		t.Errorf("check runs = %d", crs.GetTotal())
	}

	noViolations(t, srv)

	// Every operation of the spec got at least one 2xx answer.
	answered := map[string]bool{}
	for _, c := range srv.Calls() {
		if c.Status >= 200 && c.Status < 300 {
			answered[c.Method+" "+c.Route] = true
		}
	}
	var missing []string
	for _, path := range srv.Spec().Doc.Paths.InMatchingOrder() {
		for method := range srv.Spec().Doc.Paths.Value(path).Operations() {
			if !answered[method+" "+path] {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations never answered with 2xx:\n%s", strings.Join(missing, "\n"))
	}
	if len(routes) != 84 {
		t.Errorf("route table has %d operations, want the spec's 84", len(routes))
	}
}

func isAccepted(err error) bool {
	var ae *github.AcceptedError
	return errors.As(err, &ae)
}

// TestContentsETag checks GitHub's conditional requests: an If-None-Match
// naming the current ETag gets 304 with an empty body and does not count
// against the rate limit; a changed file gets 200 again.
func TestContentsETag(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.PutFile(testRepo, "deploy.yml", "v1")
	tok := "token " + srv.InstallationToken(testInstall)
	const path = "repos/acme/api/contents/deploy.yml"

	first := do(t, srv, "GET", path, tok, nil)
	etag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || etag == "" {
		t.Fatalf("first GET = %d, ETag %q", first.StatusCode, etag)
	}
	remaining := first.Header.Get("X-RateLimit-Remaining")

	second := do(t, srv, "GET", path, tok, nil, "If-None-Match", etag)
	if second.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET = %d, want 304", second.StatusCode)
	}
	if n, _ := second.Body.Read(make([]byte, 1)); n != 0 {
		t.Errorf("304 has a body")
	}
	if got := second.Header.Get("X-RateLimit-Remaining"); got != remaining {
		t.Errorf("304 changed X-RateLimit-Remaining from %s to %s", remaining, got)
	}
	third := do(t, srv, "GET", path, tok, nil)
	if got, want := third.Header.Get("X-RateLimit-Remaining"), decString(remaining); got != want {
		t.Errorf("200 left X-RateLimit-Remaining at %s, want %s", got, want)
	}

	srv.PutFile(testRepo, "deploy.yml", "v2")
	fourth := do(t, srv, "GET", path, tok, nil, "If-None-Match", etag)
	if fourth.StatusCode != http.StatusOK || fourth.Header.Get("ETag") == etag {
		t.Errorf("GET after change = %d, ETag %q", fourth.StatusCode, fourth.Header.Get("ETag"))
	}

	// go-github sees the decoded content.
	gh := installationClient(t, srv, testInstall)
	fc, _, _, err := gh.Repositories.GetContents(context.Background(), "acme", "api", "deploy.yml", nil)
	if err != nil {
		t.Fatalf("get contents: %v", err)
	}
	text, err := fc.GetContent()
	if err != nil || text != "v2" || fc.GetEncoding() != "base64" {
		t.Errorf("content = %q (%s), %v", text, fc.GetEncoding(), err)
	}

}

func decString(s string) string {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return itoa64(int64(n - 1))
}
