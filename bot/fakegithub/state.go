package fakegithub

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// state is the fake's world. Every field is guarded by Server.mu.
type state struct {
	created  time.Time
	nextID   int64
	appSlug  string
	appName  string
	appOwner *userState
	hookCfg  map[string]any

	users         map[string]*userState // by lower login
	installations map[int64]*installationState
	instOrder     []int64
	tokens        map[string]*tokenState
	repos         map[string]*repoState // by lower full name
	repoOrder     []string
	deliveries    []*HookDelivery // ascending ID
	redeliveries  []int64
	manifests     map[string]*ManifestConversion
	registrations []RegisteredManifest // the web manifest flow's (handlers_manifest.go)
	dispatches    []Dispatch
	gateReviews   []GateReview
	teams         map[string]*teamState // by lower "org/slug"
}

type userState struct {
	id    int64
	login string
	typ   string // "User", "Organization" or "Bot"
	name  string
	email string
}

type installationState struct {
	id          int64
	account     *userState
	repos       []string // lower full names; nil with allRepos
	allRepos    bool
	permissions map[string]string
	events      []string
	suspended   bool
	created     time.Time
}

type tokenState struct {
	token          string
	installationID int64
	expiresAt      time.Time
	repos          map[string]bool // lower full names; nil: all the installation's
	permissions    map[string]string
}

type teamState struct {
	id      int64
	org     string
	slug    string
	name    string
	members map[string]string // lower login -> role
	logins  map[string]string // lower login -> login
}

type fileState struct {
	content []byte
	sha     string
}

type collab struct{ permission, role string }

type repoState struct {
	id        int64
	owner     *userState
	name      string
	opts      RepoOpts
	created   time.Time
	branches  map[string]string                // name -> head SHA
	tags      map[string]string                // name -> SHA
	commits   map[string]*Commit               // by SHA
	files     map[string]map[string]*fileState // branch -> path -> file
	issues    map[int]*Issue
	nextNum   int
	comments  map[int64]*Comment
	reactions map[int64]*Reaction
	labels    map[string]*Label // by lower name
	perms     map[string]collab // by lower login
	workflows []*Workflow
	runs      []*WorkflowRun
	jobs      []*Job
	deploys   []*Deployment
	checks    []*CheckRun
	statuses  []*CommitStatus
	envs      []*Environment
	secrets   []string
	variables []Variable
	pulls     map[int]*PullRequest
	teams     []repoTeam
	pending   map[int64][]string // run ID -> environments waiting for review
	approvals []PendingReview
	rules     map[string][]protectionRule // environment -> custom rules
}

type repoTeam struct{ org, slug, permission string }

type protectionRule struct {
	id    int64
	appID int64
}

func (r *repoState) fullName() string { return r.owner.login + "/" + r.name }
func (r *repoState) key() string      { return strings.ToLower(r.fullName()) }

// defaultPermissions are the installation permissions golive's App asks for.
func defaultPermissions() map[string]string {
	return map[string]string{
		"actions":           "write",
		"actions_variables": "read",
		"administration":    "read",
		"checks":            "write",
		"contents":          "write",
		"deployments":       "write",
		"environments":      "read",
		"issues":            "write",
		"members":           "read",
		"metadata":          "read",
		"pull_requests":     "write",
		"secrets":           "read",
		"statuses":          "write",
	}
}

var defaultEvents = []string{"check_run", "deployment", "deployment_protection_rule", "deployment_status", "issue_comment", "issues", "pull_request", "workflow_job", "workflow_run"}

func newState(now time.Time, opts Options) *state {
	st := &state{
		created:       now,
		nextID:        100000000,
		users:         map[string]*userState{},
		installations: map[int64]*installationState{},
		tokens:        map[string]*tokenState{},
		repos:         map[string]*repoState{},
		manifests:     map[string]*ManifestConversion{},
		teams:         map[string]*teamState{},
	}
	st.appSlug = orDefault(opts.AppSlug, "golive")
	st.appName = orDefault(opts.AppName, "golive")
	st.appOwner = st.user(orDefault(opts.AppOwner, "golive-dev"), "Organization")
	st.hookCfg = map[string]any{"url": "https://golive.example.com/webhooks/github", "content_type": "json", "insecure_ssl": "0", "secret": "********"}
	return st
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (st *state) id() int64 {
	st.nextID++
	return st.nextID
}

// user returns the user with login, creating it with type typ if unknown.
func (st *state) user(login, typ string) *userState {
	if login == "" {
		login = "octocat"
	}
	if u, ok := st.users[strings.ToLower(login)]; ok {
		return u
	}
	if typ == "" {
		typ = "User"
		if strings.HasSuffix(login, "[bot]") {
			typ = "Bot"
		}
	}
	u := &userState{id: st.id(), login: login, typ: typ}
	st.users[strings.ToLower(login)] = u
	return u
}

func (st *state) botLogin() string { return st.appSlug + "[bot]" }

func (st *state) repo(fullName string) *repoState { return st.repos[strings.ToLower(fullName)] }

// covers reports whether inst can reach repo.
func (st *state) covers(inst *installationState, repo *repoState) bool {
	if inst.allRepos {
		return strings.EqualFold(repo.owner.login, inst.account.login)
	}
	for _, k := range inst.repos {
		if k == repo.key() {
			return true
		}
	}
	return false
}

// installationFor returns the first installation covering repo, or nil.
func (st *state) installationFor(repo *repoState) *installationState {
	for _, id := range st.instOrder {
		if inst := st.installations[id]; st.covers(inst, repo) {
			return inst
		}
	}
	return nil
}

// reposOf lists the repositories inst can reach, in creation order.
func (st *state) reposOf(inst *installationState) []*repoState {
	var out []*repoState
	for _, k := range st.repoOrder {
		if r := st.repos[k]; st.covers(inst, r) {
			out = append(out, r)
		}
	}
	return out
}

// RepoOpts describes a repository for AddRepo.
type RepoOpts struct {
	// DefaultBranch is "main" when empty.
	DefaultBranch string
	Private       bool
	Fork          bool
	Archived      bool
	Description   string
	// OwnerType is "Organization" or "User"; when empty, the type of an
	// already known owner, else "Organization".
	OwnerType string
	// HeadSHA is the default branch's head commit; derived from the name
	// when empty.
	HeadSHA string
}

// addRepo creates fullName if missing. s.mu is held.
func (st *state) addRepo(fullName string, opts RepoOpts) *repoState {
	if r := st.repo(fullName); r != nil {
		return r
	}
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		panic(fmt.Sprintf("fakegithub: repository name %q is not owner/name", fullName))
	}
	typ := opts.OwnerType
	if typ == "" {
		typ = "Organization"
	}
	if opts.DefaultBranch == "" {
		opts.DefaultBranch = "main"
	}
	r := &repoState{
		id:        st.id(),
		owner:     st.user(owner, typ),
		name:      name,
		opts:      opts,
		created:   st.created,
		branches:  map[string]string{},
		tags:      map[string]string{},
		commits:   map[string]*Commit{},
		files:     map[string]map[string]*fileState{},
		issues:    map[int]*Issue{},
		nextNum:   1,
		comments:  map[int64]*Comment{},
		reactions: map[int64]*Reaction{},
		labels:    map[string]*Label{},
		perms:     map[string]collab{},
		pulls:     map[int]*PullRequest{},
		pending:   map[int64][]string{},
		rules:     map[string][]protectionRule{},
	}
	head := opts.HeadSHA
	if head == "" {
		head = fakeSHA(strings.ToLower(fullName) + "@initial")
	}
	r.commits[head] = &Commit{SHA: head, Message: "Initial commit", Author: r.owner.login, Date: st.created}
	r.branches[opts.DefaultBranch] = head
	for _, l := range []struct{ name, color, desc string }{
		{"bug", "d73a4a", "Something isn't working"},
		{"documentation", "0075ca", "Improvements or additions to documentation"},
		{"enhancement", "a2eeef", "New feature or request"},
	} {
		r.labels[l.name] = &Label{ID: st.id(), Name: l.name, Color: l.color, Description: l.desc, Default: true}
	}
	st.repos[r.key()] = r
	st.repoOrder = append(st.repoOrder, r.key())
	return r
}

// resolveRef returns the commit SHA a branch, tag, "heads/x", "refs/heads/x",
// full or abbreviated SHA names, and the branch it came from if any.
func (r *repoState) resolveRef(ref string) (sha, branch string, ok bool) {
	ref = strings.TrimPrefix(ref, "refs/")
	if b, found := strings.CutPrefix(ref, "heads/"); found {
		sha, ok = r.branches[b]
		return sha, b, ok
	}
	if t, found := strings.CutPrefix(ref, "tags/"); found {
		sha, ok = r.tags[t]
		return sha, "", ok
	}
	if sha, ok := r.branches[ref]; ok {
		return sha, ref, true
	}
	if sha, ok := r.tags[ref]; ok {
		return sha, "", true
	}
	if _, ok := r.commits[ref]; ok {
		return ref, r.branchAt(ref), true
	}
	if len(ref) >= 7 && isHex(ref) {
		for sha := range r.commits {
			if strings.HasPrefix(sha, ref) {
				return sha, r.branchAt(sha), true
			}
		}
	}
	return "", "", false
}

// branchAt returns a branch whose head is sha, preferring the default.
func (r *repoState) branchAt(sha string) string {
	if r.branches[r.opts.DefaultBranch] == sha {
		return r.opts.DefaultBranch
	}
	names := make([]string, 0, len(r.branches))
	for n, h := range r.branches {
		if h == sha {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// file returns the file at p on branch, falling back to the default branch
// for branches without files of their own.
func (r *repoState) file(branch, p string) (*fileState, bool) {
	if files, ok := r.files[branch]; ok {
		if f, ok := files[p]; ok {
			return f, true
		}
	}
	if f, ok := r.files[r.opts.DefaultBranch][p]; ok && branch != r.opts.DefaultBranch {
		return f, true
	}
	return nil, false
}

// dir lists the entries directly under dir on branch (with the default
// branch's files as fallback), as names mapped to "file" or "dir".
func (r *repoState) dir(branch, dir string) map[string]string {
	out := map[string]string{}
	add := func(files map[string]*fileState) {
		for p := range files {
			rest, ok := strings.CutPrefix(p, dir+"/")
			if dir == "" {
				rest, ok = p, true
			}
			if !ok || rest == "" {
				continue
			}
			if first, _, more := strings.Cut(rest, "/"); more {
				out[first] = "dir"
			} else {
				out[first] = "file"
			}
		}
	}
	add(r.files[r.opts.DefaultBranch])
	if branch != r.opts.DefaultBranch {
		add(r.files[branch])
	}
	return out
}

func (r *repoState) putFile(branch, p string, content []byte) *fileState {
	if r.files[branch] == nil {
		r.files[branch] = map[string]*fileState{}
	}
	f := &fileState{content: append([]byte(nil), content...), sha: blobSHA(content)}
	r.files[branch][p] = f
	return f
}

// blobSHA is git's object ID for a blob with content.
func blobSHA(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// commitOn records a new commit on branch and moves the branch to it.
func (st *state) commitOn(r *repoState, branch, message, author string, now time.Time) *Commit {
	parent := r.branches[branch]
	seq := st.id()
	sha := fakeSHA(fmt.Sprintf("%s@%d", r.key(), seq))
	c := &Commit{SHA: sha, Message: message, Author: author, Date: now}
	if parent != "" {
		c.Parents = []string{parent}
	}
	r.commits[sha] = c
	r.branches[branch] = sha
	return c
}

// ancestors returns sha and every commit reachable from it, nearest first.
func (r *repoState) ancestors(sha string) []string {
	seen := map[string]bool{sha: true}
	order := []string{sha}
	for i := 0; i < len(order); i++ {
		if c, ok := r.commits[order[i]]; ok {
			for _, p := range c.Parents {
				if !seen[p] {
					seen[p] = true
					order = append(order, p)
				}
			}
		}
	}
	return order
}

func nodeID(prefix string, id int64) string {
	return prefix + "_kwDO" + strings.TrimRight(base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%08d", id))), "=")
}

func baseName(p string) string { return path.Base(p) }
