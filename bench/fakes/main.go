// Command fakes serves the fake GitHub (bot/fakegithub) and the fake Slack
// (bot/fakeslack) as one standalone process on loopback ports, for harnesses
// that drive the real golive binary and kill it (bench/crash): their records
// outlive every golive process and are read over HTTP.
//
// Each fake sits behind a small proxy of this process that records every
// request (method, route, status, a hash of the request) and, when told,
// injects faults at a set rate: 5xx bursts, 429 with Retry-After, GitHub's
// secondary-rate-limit 403, slow answers and connection resets.
//
//	go run ./bench/fakes        # prints one JSON line: {"github_url":…,"slack_api_url":…,"control_url":…}
//
// It serves until its standard input closes (or SIGINT/SIGTERM). The control
// server (control.go) sets up the fakes' world and dumps their records.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
)

func main() { os.Exit(run()) }

func run() int {
	gh, err := fakegithub.Start(fakegithub.Options{
		RateLimit: 1 << 30, // a run makes far more calls than GitHub's 5,000 an hour
		MaxCalls:  1000,    // the proxy records what the harness needs
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/fakes: start the fake GitHub:", err)
		return 1
	}
	defer gh.Close()
	// A token of its own per run, so a harness can look for it in logs.
	tok := make([]byte, 12)
	rand.Read(tok)
	sl := fakeslack.New(fakeslack.Options{Token: "xoxb-bench-" + hex.EncodeToString(tok)})
	defer sl.Close()

	f := &fakes{gh: gh, sl: sl}
	ghProxy, err := newProxy("github", gh.URL, ghRoute)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/fakes:", err)
		return 1
	}
	slProxy, err := newProxy("slack", sl.URL+"/", slackRoute)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/fakes:", err)
		return 1
	}
	f.ghProxy, f.slProxy = ghProxy, slProxy
	go f.clearSlackCalls()

	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/fakes:", err)
		return 1
	}
	go http.Serve(ctl, f.controlMux())

	hello, _ := json.Marshal(map[string]string{
		"github_url":    ghProxy.URL + "/",
		"slack_api_url": slProxy.URL + "/api/",
		"control_url":   "http://" + ctl.Addr().String(),
	})
	fmt.Printf("%s\n", hello)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { io.Copy(io.Discard, os.Stdin); stop() }()
	<-ctx.Done()
	ghProxy.Close()
	slProxy.Close()
	return 0
}
