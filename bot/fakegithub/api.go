package fakegithub

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Issue is an issue (or a pull request's issue side) as the fake stores it.
type Issue struct {
	// Number is assigned when zero.
	Number int
	ID     int64
	Title  string
	Body   string
	// State is "open" (the default) or "closed".
	State       string
	StateReason string
	Labels      []string
	// User is the author's login; "octocat" when empty.
	User      string
	Assignees []string
	Locked    bool
	// PullRequest marks the issue side of a pull request.
	PullRequest bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
}

// Comment is an issue or pull-request conversation comment.
type Comment struct {
	ID          int64
	IssueNumber int
	Body        string
	User        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// URL and HTMLURL are the comment's API and web addresses.
	URL     string
	HTMLURL string
}

// Reaction is a reaction to an issue (CommentID 0) or to an issue comment.
type Reaction struct {
	ID          int64
	IssueNumber int
	CommentID   int64
	Content     string
	User        string
	CreatedAt   time.Time
}

// Label is a repository label.
type Label struct {
	ID          int64
	Name        string
	Color       string
	Description string
	Default     bool
}

// Commit is a commit in a repository's history.
type Commit struct {
	SHA     string
	Message string
	// Author is a login; it also names the git author.
	Author  string
	Parents []string
	Date    time.Time
	// Files lists changed paths, for compare and commit bodies.
	Files []string
}

// Workflow is an Actions workflow file.
type Workflow struct {
	ID int64
	// Path is the file's path, such as ".github/workflows/deploy.yml".
	Path string
	// Name is the workflow's name; the file name when empty.
	Name string
	// State is "active" when empty.
	State string
	// RunName is the workflow's run-name template; runs created by a
	// dispatch take their display_title from it, with ${{ inputs.x }},
	// ${{ github.event.inputs.x }}, ${{ github.ref_name }},
	// ${{ github.actor }} and ${{ github.event_name }} substituted.
	RunName string
	// NoDispatch makes dispatches fail as for a workflow without an
	// on: workflow_dispatch trigger.
	NoDispatch bool
	// Inputs names the inputs the file's workflow_dispatch trigger
	// declares; a dispatch with any other input is refused with 422
	// "Unexpected inputs provided: [...]", as on GitHub. Nil skips the
	// check (the fake then accepts any inputs); an empty, non-nil slice
	// declares none.
	Inputs    []string
	CreatedAt time.Time
}

// WorkflowRun is an Actions workflow run.
type WorkflowRun struct {
	ID           int64
	WorkflowID   int64
	Name         string
	DisplayTitle string
	// Event is "push" when empty.
	Event string
	// Status is "queued", "in_progress", "completed", "waiting"...;
	// "queued" when empty.
	Status     string
	Conclusion string
	HeadBranch string
	HeadSHA    string
	// Actor is a login; the App's bot when empty.
	Actor      string
	RunNumber  int
	RunAttempt int
	// CheckSuiteID is the run's check suite; assigned when zero.
	CheckSuiteID int64
	// Inputs are the dispatch inputs that created the run, if any.
	Inputs    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Job is a job of a workflow run.
type Job struct {
	ID          int64
	RunID       int64
	Name        string
	Status      string
	Conclusion  string
	Labels      []string
	RunnerName  string
	StartedAt   time.Time
	CompletedAt time.Time
}

// Dispatch is a recorded workflow_dispatch request.
type Dispatch struct {
	Time           time.Time
	Repo           string
	WorkflowID     int64
	WorkflowPath   string
	Ref            string
	Inputs         map[string]any
	InstallationID int64
	// RunID is the queued run the dispatch created.
	RunID int64
}

// Deployment is a repository deployment.
type Deployment struct {
	ID                    int64
	Ref                   string
	SHA                   string
	Task                  string
	Environment           string
	Description           string
	Payload               any
	Creator               string
	TransientEnvironment  bool
	ProductionEnvironment bool
	CreatedAt             time.Time
	UpdatedAt             time.Time
	Statuses              []DeploymentStatus
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	Environment    string
	EnvironmentURL string
	LogURL         string
	TargetURL      string
	Creator        string
	CreatedAt      time.Time
}

// CheckRun is a check run.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	ExternalID  string
	DetailsURL  string
	StartedAt   time.Time
	CompletedAt time.Time
	Title       string
	Summary     string
	Text        string
	AppID       int64
}

// CommitStatus is a commit status (the statuses API).
type CommitStatus struct {
	ID          int64
	SHA         string
	State       string
	Context     string
	Description string
	TargetURL   string
	Creator     string
	CreatedAt   time.Time
}

// Environment is a deployment environment with the names of its secrets and
// its variables.
type Environment struct {
	ID        int64
	Name      string
	Secrets   []string
	Variables []Variable
	// WaitTimer is the wait timer in minutes, 0 for none.
	WaitTimer int
	// Reviewers are logins of required reviewers.
	Reviewers []string
	CreatedAt time.Time
}

// Variable is an Actions variable.
type Variable struct {
	Name  string
	Value string
}

// PullRequest is a pull request.
type PullRequest struct {
	Number int
	ID     int64
	Title  string
	Body   string
	// State is "open" when empty.
	State string
	User  string
	// Head and Base are branch names; Base is the default branch when empty.
	Head string
	Base string
	// HeadRepo is the full name of the repository Head lives in when the
	// pull request comes from a fork (created, as a fork, if unknown); the
	// base repository when empty.
	HeadRepo string
	HeadSHA  string
	Merged   bool
	Draft    bool
	// Commits are the SHAs of the pull request's commits, oldest first.
	Commits   []string
	CreatedAt time.Time
}

// HookDelivery is a delivery of the App's webhook.
type HookDelivery struct {
	ID          int64
	GUID        string
	Event       string
	Action      string
	StatusCode  int
	Redelivery  bool
	DeliveredAt time.Time
	// InstallationID and RepositoryID are 0 for none.
	InstallationID int64
	RepositoryID   int64
	// Duration is the delivery time in seconds.
	Duration float64
	// Payload is the delivered body, if known.
	Payload map[string]any
}

// ManifestConversion is what POST /app-manifests/{code}/conversions returns
// for a code: the App the fake plays (its ID, slug and private key) with
// fresh client and webhook secrets.
type ManifestConversion struct {
	Code          string
	ID            int64
	Slug          string
	Name          string
	ClientID      string
	ClientSecret  string
	WebhookSecret string
	PEM           string
	// Manifest is the manifest registered through the web flow
	// (handlers_manifest.go); nil for AddManifestCode.
	Manifest map[string]any
}

// GateReview is a recorded call of a deployment protection rule's callback
// (POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule).
type GateReview struct {
	Time            time.Time
	Repo            string
	RunID           int64
	EnvironmentName string
	State           string
	Comment         string
	InstallationID  int64
}

// PendingReview is a recorded review of pending deployments.
type PendingReview struct {
	Time           time.Time
	RunID          int64
	EnvironmentIDs []int64
	State          string
	Comment        string
	User           string
}

// AddInstallation installs the App on account (accountType "Organization" or
// "User") for repos, full names that are created with AddRepo's defaults if
// unknown. With no repos the installation covers every repository the
// account owns ("all" selection). Re-adding an ID adds repositories.
func (s *Server) AddInstallation(id int64, accountLogin, accountType string, repos ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if accountType == "" {
		accountType = "Organization"
	}
	inst, ok := st.installations[id]
	if !ok {
		inst = &installationState{
			id:          id,
			account:     st.user(accountLogin, accountType),
			allRepos:    len(repos) == 0,
			permissions: defaultPermissions(),
			events:      append([]string(nil), defaultEvents...),
			created:     s.clock.Now().UTC().Truncate(time.Second),
		}
		st.installations[id] = inst
		st.instOrder = append(st.instOrder, id)
	}
	for _, full := range repos {
		r := st.addRepo(full, RepoOpts{OwnerType: inst.account.typ})
		if !st.covers(inst, r) {
			inst.repos = append(inst.repos, r.key())
		}
		inst.allRepos = false
	}
}

// SetInstallationPermissions replaces installation id's permissions, such as
// {"issues": "write", "contents": "read"}.
func (s *Server) SetInstallationPermissions(id int64, perms map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst, ok := s.st.installations[id]; ok {
		inst.permissions = copyPerms(perms)
	}
}

// SuspendInstallation marks installation id suspended (or not): its tokens
// are then refused with 403, as GitHub does.
func (s *Server) SuspendInstallation(id int64, suspended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst, ok := s.st.installations[id]; ok {
		inst.suspended = suspended
	}
}

// AddRepo creates repository fullName ("owner/name") unless it exists.
func (s *Server) AddRepo(fullName string, opts RepoOpts) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.addRepo(fullName, opts)
}

// mustRepo returns the repository, creating it with defaults. s.mu is held.
func (s *Server) mustRepo(fullName string) *repoState {
	return s.st.addRepo(fullName, RepoOpts{})
}

// AddUser registers a user (typ "User", "Organization" or "Bot") with a
// display name, so that GET /users/{username} knows it.
func (s *Server) AddUser(login, typ, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.user(login, typ)
	u.name = name
}

// SetPermission makes user a collaborator of repo with permission ("admin",
// "write", "read" or "none", GitHub's legacy levels) and roleName ("admin",
// "maintain", "write", "triage", "read" or a custom role; permission when
// empty).
func (s *Server) SetPermission(repo, user, permission, roleName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	s.st.user(user, "User")
	if roleName == "" {
		roleName = permission
	}
	r.perms[strings.ToLower(user)] = collab{permission: permission, role: roleName}
}

// PutFile writes content at path on repo's default branch.
func (s *Server) PutFile(repo, path, content string) {
	s.PutFileAt(repo, "", path, content)
}

// PutFileAt writes content at path on branch (the default branch when
// empty), creating the branch at the default branch's head if needed.
func (s *Server) PutFileAt(repo, branch, path, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if branch == "" {
		branch = r.opts.DefaultBranch
	}
	if _, ok := r.branches[branch]; !ok {
		r.branches[branch] = r.branches[r.opts.DefaultBranch]
	}
	r.putFile(branch, strings.TrimPrefix(path, "/"), []byte(content))
}

// SetBranch points branch at sha, adding the commit (with the branch's
// previous head as parent) if it is unknown. An empty sha derives one.
func (s *Server) SetBranch(repo, branch, sha string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if sha == "" {
		sha = fakeSHA(fmt.Sprintf("%s@%s@%d", r.key(), branch, s.st.id()))
	}
	if _, ok := r.commits[sha]; !ok {
		parent := r.branches[branch]
		if parent == "" {
			parent = r.branches[r.opts.DefaultBranch]
		}
		r.commits[sha] = &Commit{SHA: sha, Message: "Update " + branch, Author: r.owner.login, Parents: []string{parent}, Date: s.clock.Now().UTC()}
	}
	r.branches[branch] = sha
	return sha
}

// AddTag points tag at sha.
func (s *Server) AddTag(repo, tag, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(repo).tags[tag] = sha
}

// AddCommit records a commit (SHA derived when empty; Parents default to the
// branch's head) and, when branch is not empty, moves branch to it. It
// returns the SHA.
func (s *Server) AddCommit(repo, branch string, c Commit) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if c.SHA == "" {
		c.SHA = fakeSHA(fmt.Sprintf("%s@commit@%d", r.key(), s.st.id()))
	}
	if c.Parents == nil && branch != "" {
		if head, ok := r.branches[branch]; ok {
			c.Parents = []string{head}
		} else {
			c.Parents = []string{r.branches[r.opts.DefaultBranch]}
		}
	}
	if c.Date.IsZero() {
		c.Date = s.clock.Now().UTC()
	}
	if c.Author == "" {
		c.Author = r.owner.login
	}
	cc := c
	cc.Parents = append([]string(nil), c.Parents...)
	cc.Files = append([]string(nil), c.Files...)
	r.commits[c.SHA] = &cc
	if branch != "" {
		r.branches[branch] = c.SHA
	}
	return c.SHA
}

// Branch returns the head SHA of branch in repo.
func (s *Server) Branch(repo, branch string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return "", false
	}
	sha, ok := r.branches[branch]
	return sha, ok
}

// AddIssue creates an issue and returns it as stored (number, ID and times
// filled in).
func (s *Server) AddIssue(repo string, is Issue) Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	return copyIssue(*s.addIssue(r, is))
}

// addIssue stores is. s.mu is held.
func (s *Server) addIssue(r *repoState, is Issue) *Issue {
	now := s.clock.Now().UTC().Truncate(time.Second)
	if is.Number == 0 {
		is.Number = r.nextNum
	}
	if is.Number >= r.nextNum {
		r.nextNum = is.Number + 1
	}
	if is.ID == 0 {
		is.ID = s.st.id()
	}
	if is.State == "" {
		is.State = "open"
	}
	if is.User == "" {
		is.User = "octocat"
	}
	s.st.user(is.User, "")
	if is.CreatedAt.IsZero() {
		is.CreatedAt = now
	}
	if is.UpdatedAt.IsZero() {
		is.UpdatedAt = is.CreatedAt
	}
	if is.State == "closed" && is.ClosedAt.IsZero() {
		is.ClosedAt = is.UpdatedAt
	}
	for _, l := range is.Labels {
		s.ensureLabel(r, l)
	}
	c := copyIssue(is)
	r.issues[is.Number] = &c
	return &c
}

func copyIssue(is Issue) Issue {
	is.Labels = append([]string(nil), is.Labels...)
	is.Assignees = append([]string(nil), is.Assignees...)
	return is
}

// ensureLabel returns repo's label name, creating it. s.mu is held.
func (s *Server) ensureLabel(r *repoState, name string) *Label {
	if l, ok := r.labels[strings.ToLower(name)]; ok {
		return l
	}
	l := &Label{ID: s.st.id(), Name: name, Color: labelColor(name)}
	r.labels[strings.ToLower(name)] = l
	return l
}

func labelColor(name string) string {
	h := fakeSHA("label:" + name)
	return h[:6]
}

// GetIssue returns issue n of repo as it currently is.
func (s *Server) GetIssue(repo string, n int) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return Issue{}, false
	}
	is, ok := r.issues[n]
	if !ok {
		return Issue{}, false
	}
	return copyIssue(*is), true
}

// AddComment adds a comment to issue n of repo (which must exist) and
// returns it.
func (s *Server) AddComment(repo string, n int, user, body string) (Comment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil || r.issues[n] == nil {
		return Comment{}, false
	}
	return *s.addComment(r, n, user, body, s.clock.Now().UTC().Truncate(time.Second)), true
}

func (s *Server) addComment(r *repoState, n int, user, body string, now time.Time) *Comment {
	s.st.user(user, "")
	c := &Comment{ID: s.st.id(), IssueNumber: n, Body: body, User: user, CreatedAt: now, UpdatedAt: now}
	c.URL = fmt.Sprintf("%srepos/%s/issues/comments/%d", s.URL, r.fullName(), c.ID)
	c.HTMLURL = fmt.Sprintf("https://github.com/%s/%s/%d#issuecomment-%d", r.fullName(), issueKind(r.issues[n]), n, c.ID)
	r.comments[c.ID] = c
	r.issues[n].UpdatedAt = now
	return c
}

func issueKind(is *Issue) string {
	if is != nil && is.PullRequest {
		return "pull"
	}
	return "issues"
}

// Comments returns the comments of issue n of repo, oldest first.
func (s *Server) Comments(repo string, n int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	var out []Comment
	for _, c := range sortedComments(r) {
		if c.IssueNumber == n {
			out = append(out, *c)
		}
	}
	return out
}

func sortedComments(r *repoState) []*Comment {
	out := make([]*Comment, 0, len(r.comments))
	for _, c := range r.comments {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Reactions returns the reactions in repo, oldest first.
func (s *Server) Reactions(repo string) []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	out := make([]Reaction, 0, len(r.reactions))
	for _, x := range r.reactions {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Labels returns repo's labels, by name.
func (s *Server) Labels(repo string) []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	out := make([]Label, 0, len(r.labels))
	for _, l := range r.labels {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AddWorkflow adds a workflow to repo and returns it as stored.
func (s *Server) AddWorkflow(repo string, wf Workflow) Workflow {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if wf.Path == "" {
		panic("fakegithub: AddWorkflow needs a Path")
	}
	if wf.ID == 0 {
		wf.ID = s.st.id()
	}
	if wf.Name == "" {
		wf.Name = baseName(wf.Path)
	}
	if wf.State == "" {
		wf.State = "active"
	}
	if wf.CreatedAt.IsZero() {
		wf.CreatedAt = s.clock.Now().UTC().Truncate(time.Second)
	}
	c := wf
	r.workflows = append(r.workflows, &c)
	return wf
}

// workflow finds a workflow by ID or file name. s.mu is held.
func (r *repoState) workflow(idOrFile string) *Workflow {
	for _, wf := range r.workflows {
		if fmt.Sprint(wf.ID) == idOrFile || baseName(wf.Path) == idOrFile || wf.Path == idOrFile {
			return wf
		}
	}
	return nil
}

// Dispatches returns every recorded workflow dispatch.
func (s *Server) Dispatches() []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Dispatch(nil), s.st.dispatches...)
}

// AddWorkflowRun adds a run to repo (ID, run number and times filled in when
// zero) and returns it as stored.
func (s *Server) AddWorkflowRun(repo string, run WorkflowRun) WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	return *s.addRun(r, run)
}

func (s *Server) addRun(r *repoState, run WorkflowRun) *WorkflowRun {
	now := s.clock.Now().UTC().Truncate(time.Second)
	if run.ID == 0 {
		run.ID = s.st.id()
	}
	if run.CheckSuiteID == 0 {
		run.CheckSuiteID = s.st.id()
	}
	if run.Event == "" {
		run.Event = "push"
	}
	if run.Status == "" {
		run.Status = "queued"
	}
	if run.HeadBranch == "" {
		run.HeadBranch = r.opts.DefaultBranch
	}
	if run.HeadSHA == "" {
		if sha, _, ok := r.resolveRef(run.HeadBranch); ok {
			run.HeadSHA = sha
		} else {
			run.HeadSHA = r.branches[r.opts.DefaultBranch]
		}
	}
	if run.Actor == "" {
		run.Actor = s.st.botLogin()
	}
	s.st.user(run.Actor, "")
	if run.RunAttempt == 0 {
		run.RunAttempt = 1
	}
	var wf *Workflow
	if run.WorkflowID != 0 {
		wf = r.workflow(fmt.Sprint(run.WorkflowID))
	}
	if wf == nil && len(r.workflows) > 0 && run.WorkflowID == 0 {
		wf = r.workflows[0]
		run.WorkflowID = wf.ID
	}
	if run.Name == "" && wf != nil {
		run.Name = wf.Name
	}
	if run.DisplayTitle == "" {
		run.DisplayTitle = run.Name
	}
	if run.RunNumber == 0 {
		n := 0
		for _, x := range r.runs {
			if x.WorkflowID == run.WorkflowID && x.RunNumber > n {
				n = x.RunNumber
			}
		}
		run.RunNumber = n + 1
	}
	if run.CreatedAt.IsZero() {
		run.CreatedAt = now
	}
	if run.UpdatedAt.IsZero() {
		run.UpdatedAt = run.CreatedAt
	}
	c := run
	r.runs = append(r.runs, &c)
	return &c
}

// WorkflowRuns returns repo's runs, oldest first.
func (s *Server) WorkflowRuns(repo string) []WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	out := make([]WorkflowRun, 0, len(r.runs))
	for _, x := range r.runs {
		out = append(out, *x)
	}
	return out
}

// UpdateWorkflowRun sets a run's status and conclusion (as GitHub Actions
// would while it runs); it reports whether the run exists.
func (s *Server) UpdateWorkflowRun(repo string, id int64, status, conclusion string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return false
	}
	for _, run := range r.runs {
		if run.ID == id {
			run.Status, run.Conclusion = status, conclusion
			run.UpdatedAt = s.clock.Now().UTC().Truncate(time.Second)
			return true
		}
	}
	return false
}

// AddJob adds a job to a run of repo and returns it as stored.
func (s *Server) AddJob(repo string, j Job) Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if j.ID == 0 {
		j.ID = s.st.id()
	}
	if j.Status == "" {
		j.Status = "queued"
	}
	if j.Labels == nil {
		j.Labels = []string{"ubuntu-latest"}
	}
	c := j
	r.jobs = append(r.jobs, &c)
	return j
}

// SetPendingDeployments makes run id of repo wait for review of
// environments (which are created if unknown).
func (s *Server) SetPendingDeployments(repo string, runID int64, environments ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	for _, e := range environments {
		s.ensureEnv(r, e)
	}
	r.pending[runID] = append([]string(nil), environments...)
}

// PendingReviews returns the reviews of pending deployments posted to repo.
func (s *Server) PendingReviews(repo string) []PendingReview {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	return append([]PendingReview(nil), r.approvals...)
}

// GateReviews returns every recorded deployment-protection-rule callback.
func (s *Server) GateReviews() []GateReview {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GateReview(nil), s.st.gateReviews...)
}

// Deployments returns repo's deployments with their statuses, oldest first.
func (s *Server) Deployments(repo string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	out := make([]Deployment, 0, len(r.deploys))
	for _, d := range r.deploys {
		c := *d
		c.Statuses = append([]DeploymentStatus(nil), d.Statuses...)
		out = append(out, c)
	}
	return out
}

// CheckRuns returns repo's check runs, oldest first.
func (s *Server) CheckRuns(repo string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	out := make([]CheckRun, 0, len(r.checks))
	for _, c := range r.checks {
		out = append(out, *c)
	}
	return out
}

// CommitStatuses returns the commit statuses posted to repo, oldest first.
func (s *Server) CommitStatuses(repo string) []CommitStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.repo(repo)
	if r == nil {
		return nil
	}
	out := make([]CommitStatus, 0, len(r.statuses))
	for _, c := range r.statuses {
		out = append(out, *c)
	}
	return out
}

// AddEnvironment adds (or replaces) a deployment environment of repo and
// returns it as stored.
func (s *Server) AddEnvironment(repo string, env Environment) Environment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	if env.ID == 0 {
		env.ID = s.st.id()
	}
	if env.CreatedAt.IsZero() {
		env.CreatedAt = s.clock.Now().UTC().Truncate(time.Second)
	}
	c := env
	c.Secrets = append([]string(nil), env.Secrets...)
	c.Variables = append([]Variable(nil), env.Variables...)
	for i, e := range r.envs {
		if strings.EqualFold(e.Name, env.Name) {
			r.envs[i] = &c
			return env
		}
	}
	r.envs = append(r.envs, &c)
	return env
}

func (s *Server) ensureEnv(r *repoState, name string) *Environment {
	if e := r.env(name); e != nil {
		return e
	}
	e := &Environment{ID: s.st.id(), Name: name, CreatedAt: s.clock.Now().UTC().Truncate(time.Second)}
	r.envs = append(r.envs, e)
	return e
}

func (r *repoState) env(name string) *Environment {
	for _, e := range r.envs {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}

// AddProtectionRule enables the App with appID (the fake's own App when 0)
// as a custom deployment protection rule of environment in repo.
func (s *Server) AddProtectionRule(repo, environment string, appID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	s.ensureEnv(r, environment)
	if appID == 0 {
		appID = s.appID
	}
	key := strings.ToLower(environment)
	r.rules[key] = append(r.rules[key], protectionRule{id: s.st.id(), appID: appID})
}

// AddRepoSecret adds Actions secret names to repo.
func (s *Server) AddRepoSecret(repo string, names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	r.secrets = append(r.secrets, names...)
}

// SetRepoVariable sets an Actions variable of repo.
func (s *Server) SetRepoVariable(repo, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	for i, v := range r.variables {
		if strings.EqualFold(v.Name, name) {
			r.variables[i].Value = value
			return
		}
	}
	r.variables = append(r.variables, Variable{Name: name, Value: value})
}

// AddPullRequest adds a pull request (and its issue side) to repo and
// returns it as stored. Its head branch is created at HeadSHA if needed.
func (s *Server) AddPullRequest(repo string, pr PullRequest) PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	// A fork's head branch lives in the fork (owned by a user unless its
	// owner is already known).
	headRepo := r
	if pr.HeadRepo != "" && !strings.EqualFold(pr.HeadRepo, r.fullName()) {
		headRepo = s.st.addRepo(pr.HeadRepo, RepoOpts{Fork: true, OwnerType: "User"})
		pr.HeadRepo = headRepo.fullName()
	} else {
		pr.HeadRepo = ""
	}
	if pr.State == "" {
		pr.State = "open"
	}
	if pr.Base == "" {
		pr.Base = r.opts.DefaultBranch
	}
	if pr.Head == "" {
		pr.Head = fmt.Sprintf("pr-%d", r.nextNum)
	}
	if pr.User == "" {
		pr.User = "octocat"
	}
	if pr.HeadSHA == "" {
		if sha, ok := headRepo.branches[pr.Head]; ok {
			pr.HeadSHA = sha
		} else if len(pr.Commits) > 0 {
			pr.HeadSHA = pr.Commits[len(pr.Commits)-1]
		} else {
			pr.HeadSHA = fakeSHA(fmt.Sprintf("%s@pr@%d", r.key(), s.st.id()))
		}
	}
	if _, ok := r.commits[pr.HeadSHA]; !ok {
		if cm := headRepo.commits[pr.HeadSHA]; cm != nil {
			r.commits[pr.HeadSHA] = cm
		} else {
			r.commits[pr.HeadSHA] = &Commit{SHA: pr.HeadSHA, Message: pr.Title, Author: pr.User, Parents: []string{r.branches[pr.Base]}, Date: s.clock.Now().UTC()}
		}
	}
	if len(pr.Commits) == 0 {
		pr.Commits = []string{pr.HeadSHA}
	}
	if headRepo != r {
		// The base repository knows a fork's pull request commits (through
		// refs/pull/N/head), and the fork knows them as its own.
		for _, sha := range pr.Commits {
			if cm := r.commits[sha]; cm != nil && headRepo.commits[sha] == nil {
				headRepo.commits[sha] = cm
			}
		}
	}
	if _, ok := headRepo.branches[pr.Head]; !ok {
		headRepo.branches[pr.Head] = pr.HeadSHA
	}
	is := s.addIssue(r, Issue{Number: pr.Number, Title: pr.Title, Body: pr.Body, State: map[bool]string{true: "closed", false: "open"}[pr.State == "closed"], User: pr.User, PullRequest: true, CreatedAt: pr.CreatedAt})
	pr.Number = is.Number
	pr.CreatedAt = is.CreatedAt
	if pr.ID == 0 {
		pr.ID = s.st.id()
	}
	c := pr
	c.Commits = append([]string(nil), pr.Commits...)
	r.pulls[pr.Number] = &c
	return pr
}

// AddTeam creates team slug in org with members (logins, role "member"),
// and returns its ID.
func (s *Server) AddTeam(org, slug string, members ...string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.team(org, slug)
	for _, m := range members {
		s.st.user(m, "User")
		t.members[strings.ToLower(m)] = "member"
		t.logins[strings.ToLower(m)] = m
	}
	return t.id
}

// SetTeamMember makes user a member of org's team slug with role ("member"
// or "maintainer").
func (s *Server) SetTeamMember(org, slug, user, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.team(org, slug)
	s.st.user(user, "User")
	if role == "" {
		role = "member"
	}
	t.members[strings.ToLower(user)] = role
	t.logins[strings.ToLower(user)] = user
}

// AddRepoTeam gives org's team slug permission ("pull", "triage", "push",
// "maintain" or "admin") on repo.
func (s *Server) AddRepoTeam(repo, org, slug, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(repo)
	s.team(org, slug)
	r.teams = append(r.teams, repoTeam{org: org, slug: slug, permission: permission})
}

func (s *Server) team(org, slug string) *teamState {
	key := strings.ToLower(org + "/" + slug)
	t, ok := s.st.teams[key]
	if !ok {
		s.st.user(org, "Organization")
		t = &teamState{id: s.st.id(), org: org, slug: slug, name: slug, members: map[string]string{}, logins: map[string]string{}}
		s.st.teams[key] = t
	}
	return t
}

// AddHookDelivery records a delivery of the App's webhook and returns it as
// stored (ID, GUID and time filled in when zero).
func (s *Server) AddHookDelivery(d HookDelivery) HookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addDelivery(d)
}

func (s *Server) addDelivery(d HookDelivery) *HookDelivery {
	if d.ID == 0 {
		d.ID = s.st.id()
	}
	if d.GUID == "" {
		d.GUID = newGUID()
	}
	if d.DeliveredAt.IsZero() {
		d.DeliveredAt = s.clock.Now().UTC().Truncate(time.Second)
	}
	if d.StatusCode == 0 {
		d.StatusCode = 200
	}
	if d.Event == "" {
		d.Event = "ping"
	}
	c := d
	ds := s.st.deliveries
	i := sort.Search(len(ds), func(i int) bool { return ds[i].ID >= d.ID })
	if i < len(ds) && ds[i].ID == d.ID {
		ds[i] = &c
	} else {
		ds = append(ds, nil)
		copy(ds[i+1:], ds[i:])
		ds[i] = &c
	}
	s.st.deliveries = ds
	return &c
}

// HookDeliveries returns the recorded deliveries, newest first.
func (s *Server) HookDeliveries() []HookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]HookDelivery, 0, len(s.st.deliveries))
	for i := len(s.st.deliveries) - 1; i >= 0; i-- {
		out = append(out, *s.st.deliveries[i])
	}
	return out
}

// Redeliveries returns the IDs of the deliveries redelivery was requested
// for (POST /app/hook/deliveries/{id}/attempts), in request order.
func (s *Server) Redeliveries() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.st.redeliveries...)
}

// AddManifestCode registers a code GitHub would hand the App's manifest flow
// and returns what its conversion will answer: the fake's own App (ID, slug,
// private key), so that a client can go on to authenticate as that App,
// with fresh secrets. Codes are single-use, as on GitHub.
func (s *Server) AddManifestCode(code string) ManifestConversion {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &ManifestConversion{
		Code:          code,
		ID:            s.appID,
		Slug:          s.st.appSlug,
		Name:          s.st.appName,
		ClientID:      "Iv1." + randomHex(8),
		ClientSecret:  randomHex(20),
		WebhookSecret: randomHex(20),
		PEM:           string(s.keyPEM),
	}
	s.st.manifests[code] = m
	return *m
}

// SetHookConfig sets the App's webhook URL as PATCH /app/hook/config would.
func (s *Server) SetHookConfig(url, contentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.hookCfg["url"] = url
	if contentType != "" {
		s.st.hookCfg["content_type"] = contentType
	}
}

// HookConfig returns the App's webhook configuration as GET /app/hook/config
// shows it (the secret masked).
func (s *Server) HookConfig() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{}
	for k, v := range s.st.hookCfg {
		out[k] = v
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading randomness: %v", err))
	}
	return hex.EncodeToString(b)
}

func newGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading randomness: %v", err))
	}
	b[6] = b[6]&0x0f | 0x10 // time-based, like GitHub's delivery GUIDs
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
