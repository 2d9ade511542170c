package schedules

import (
	"context"

	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// OpenItems counts the unticked items of a repository's open operations
// checklists: the issue of each of cfg's schedules' latest opened run,
// while that issue is open. Runs posted to Slack have no ticks to count.
func OpenItems(ctx context.Context, st store.Store, api interface {
	Issue(ctx context.Context, number int) (ghclient.Issue, error)
}, repoID int64, cfg *repoconfig.Config) (int, error) {
	open := 0
	for _, s := range cfg.Schedules {
		runs, err := st.ListScheduleRuns(ctx, repoID, s.ID)
		if err != nil {
			return 0, err
		}
		number := 0
		for _, r := range runs {
			if r.IssueNumber != 0 {
				number = r.IssueNumber
			}
		}
		if number == 0 {
			continue
		}
		is, err := api.Issue(ctx, number)
		if issueGone(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if is.State == "open" {
			tasks, _ := openTasks(is.Body)
			open += len(tasks)
		}
	}
	return open, nil
}
