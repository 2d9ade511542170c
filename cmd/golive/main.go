// Command golive is the golive GitHub App and Slack bot: one binary whose
// subcommands run the server and its tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-envconfig"
)

const usage = `golive — go-live checklists, reminders and ChatOps deploys for GitHub and Slack.

Usage:
  golive serve        run the GitHub App webhook server (configured by environment variables; see README)
  golive healthcheck  exit 0 when the local server answers /healthz (for container health checks)
  golive reconcile [--dry-run]
                      rebuild the store's go-lives from the open go-live issues of every installation
                      (after losing the database; configured like serve)
  golive timeline --at TIME [--tz ZONE] [--template FILE]
                      print when each checklist phase is due and the reminder schedule for a go-live at TIME
  golive validate [FILE]
                      check a .github/golive.yml (the default FILE) or a checklist template file
  golive action COMMAND
                      run a step of golive's GitHub Action: gate, smoke, watch, preflight or report
                      (configured by the step's INPUT_* and the run's GITHUB_* variables)
  golive version      print the version
  golive help         print this help
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code: 0 success,
// 1 failure at run time, 2 bad usage or configuration.
func run(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, env, stderr)
	case "healthcheck":
		return healthcheck(ctx, env, stderr)
	case "reconcile":
		return reconcile(ctx, args[1:], env, stdout, stderr)
	case "timeline":
		return timeline(args[1:], stdout, stderr)
	case "validate":
		return validate(args[1:], stdout, stderr)
	case "action":
		return action(ctx, args[1:], env, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "golive", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "golive: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
