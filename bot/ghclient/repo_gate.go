package ghclient

import (
	"context"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Verdicts a custom deployment protection rule gives (ReviewDeploymentGate).
const (
	GateApproved = "approved"
	GateRejected = "rejected"
)

// MaxGateComment is the longest comment, in characters, GitHub takes with a
// deployment protection rule's review or progress note.
const MaxGateComment = 1024

// gateReview is the body of POST
// /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule.
type gateReview struct {
	EnvironmentName string `json:"environment_name"`
	State           string `json:"state,omitempty"`
	Comment         string `json:"comment,omitempty"`
}

// ReviewDeploymentGate answers, as the App, its custom deployment protection
// rule on workflow run runID's deployment to environment: state GateApproved
// or GateRejected with an optional comment, or state "" to post comment alone
// as a progress note while the deployment keeps waiting (GitHub keeps up to
// 10 per run). The comment is at most MaxGateComment characters; a longer one
// is refused before any call, and so is an unknown state. A run the
// repository does not have yields an error wrapping ErrRunNotFound.
func (r *Repo) ReviewDeploymentGate(ctx context.Context, runID int64, environment, state, comment string) error {
	what := "review"
	if state == "" {
		what = "note on"
	}
	activity := fmt.Sprintf("%s the deployment of run %d of %s to %q", what, runID, r.FullName(), environment)
	switch {
	case runID <= 0 || environment == "":
		return fmt.Errorf("%s: a run and an environment are required", activity)
	case state != "" && state != GateApproved && state != GateRejected:
		return fmt.Errorf("%s: state %q is not %q or %q", activity, state, GateApproved, GateRejected)
	case state == "" && comment == "":
		return fmt.Errorf("%s: a note needs a comment", activity)
	case utf8.RuneCountInString(comment) > MaxGateComment:
		return fmt.Errorf("%s: the comment is %d characters, GitHub takes at most %d", activity, utf8.RuneCountInString(comment), MaxGateComment)
	}
	// go-github v60 has no method for this endpoint.
	req, err := r.client.NewRequest(http.MethodPost,
		fmt.Sprintf("repos/%s/%s/actions/runs/%d/deployment_protection_rule", r.owner, r.name, runID),
		gateReview{EnvironmentName: environment, State: state, Comment: comment})
	if err != nil {
		return fmt.Errorf("%s: %w", activity, err)
	}
	resp, err := r.client.Do(ctx, req, nil)
	if err != nil {
		if statusOf(resp) == http.StatusNotFound {
			return fmt.Errorf("%s: %w: %w", activity, ErrRunNotFound, err)
		}
		return fmt.Errorf("%s: %w", activity, err)
	}
	return nil
}
