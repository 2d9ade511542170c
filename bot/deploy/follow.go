package deploy

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// RunEvent is the part of a workflow_run event a deploy follows.
type RunEvent struct {
	RepoID       int64
	RunID        int64
	Status       string // requested, in_progress, completed, …
	Conclusion   string // success, failure, cancelled, … when completed
	DisplayTitle string // carries the correlation id through the workflow's run-name
	HTMLURL      string
}

// correlationRE finds a correlation id in a run's display title.
var correlationRE = regexp.MustCompile(`gl-[0-9a-f]{12}`)

// HandleRun follows a workflow run: a run of a deploy golive dispatched
// (known by its id, or by the correlation id in its title) moves the deploy
// on, and its end is reported where the command came from. Other runs are
// ignored.
func (s *Service) HandleRun(ctx context.Context, ev RunEvent) error {
	d, err := s.Store.GetDeployByRun(ctx, ev.RepoID, ev.RunID)
	if errors.Is(err, store.ErrNotFound) {
		cid := correlationRE.FindString(ev.DisplayTitle)
		if cid == "" {
			return nil
		}
		if d, err = s.Store.GetDeployByCorrelation(ctx, cid); errors.Is(err, store.ErrNotFound) || (err == nil && d.RepoID != ev.RepoID) {
			return nil
		}
	}
	if err != nil {
		return err
	}
	if d.State.Finished() {
		return nil
	}
	d.RunID, d.RunURL, d.UpdatedAt = ev.RunID, ev.HTMLURL, s.Clock.Now()
	d.State = store.DeployRunning
	if ev.Status == "completed" {
		switch ev.Conclusion {
		case "success":
			d.State = store.DeploySuccess
		case "cancelled":
			d.State = store.DeployCancelled
		default:
			d.State = store.DeployFailure
			d.Detail = "conclusion " + ev.Conclusion
		}
		d.FinishedAt = s.Clock.Now()
	}
	if d, err = s.Store.UpdateDeploy(ctx, d); err != nil {
		return err
	}
	if !d.State.Finished() {
		return s.progress(ctx, d)
	}
	return s.finished(ctx, d)
}

// progress shows a running deploy's run link in its reply.
func (s *Service) progress(ctx context.Context, d store.Deploy) error {
	if d.Surface != SurfaceGitHub || d.ReplyCommentID == 0 {
		return nil
	}
	api, err := s.Repos(d.InstallationID, d.Repo)
	if err != nil {
		return err
	}
	return api.EditComment(ctx, d.ReplyCommentID, s.deployText(d))
}

// SweepRuns reports deploys whose run never appeared within RunTimeout of
// their dispatch, after one last look for it.
func (s *Service) SweepRuns(ctx context.Context) error {
	now := s.Clock.Now()
	ds, err := s.Store.ListActiveDeploys(ctx, now.Add(-s.runTimeout()))
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range ds {
		api, err := s.Repos(d.InstallationID, d.Repo)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		run, ok, err := api.FindDispatchedRun(ctx, d.Workflow, d.DispatchedAt.Add(-2*time.Minute), d.CorrelationID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			errs = append(errs, s.HandleRun(ctx, RunEvent{RepoID: d.RepoID, RunID: run.ID, Status: run.Status,
				Conclusion: run.Conclusion, DisplayTitle: run.DisplayTitle, HTMLURL: run.HTMLURL}))
			continue
		}
		d.State, d.FinishedAt, d.UpdatedAt = store.DeployTimedOut, now, now
		if d, err = s.Store.UpdateDeploy(ctx, d); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, s.finished(ctx, d))
	}
	return errors.Join(errs...)
}

// RunSweeper calls SweepRuns every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SweepRuns(ctx); err != nil && ctx.Err() == nil {
				s.logger().Error("report deploys whose run never appeared", "err", err)
			}
		}
	}
}

// DeploymentEvent is the part of a deployment_status event a deploy
// follows.
type DeploymentEvent struct {
	RepoID      int64
	Environment string
	SHA         string
	State       string // queued, in_progress, success, failure, error, inactive, …
	LogURL      string
}

// HandleDeploymentStatus follows the deployment a deploy workflow reports:
// its final state ends golive's deploy of that SHA to that environment
// (whichever of it and the run's completion comes first reports).
func (s *Service) HandleDeploymentStatus(ctx context.Context, ev DeploymentEvent) error {
	ds, err := s.Store.LatestDeploys(ctx, ev.RepoID, ev.Environment, 5)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.SHA != ev.SHA || d.State.Finished() {
			continue
		}
		now := s.Clock.Now()
		switch ev.State {
		case "success":
			d.State, d.FinishedAt = store.DeploySuccess, now
		case "failure", "error":
			d.State, d.FinishedAt, d.Detail = store.DeployFailure, now, "deployment "+ev.State
		case "queued", "in_progress", "pending":
			d.State = store.DeployRunning
		default:
			return nil
		}
		if d.RunURL == "" {
			d.RunURL = ev.LogURL
		}
		d.UpdatedAt = now
		if d, err = s.Store.UpdateDeploy(ctx, d); err != nil {
			return err
		}
		if d.State.Finished() {
			return s.finished(ctx, d)
		}
		return s.progress(ctx, d)
	}
	return nil
}
