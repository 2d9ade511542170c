package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// healthcheck asks the server on GOLIVE_ADDR (default :3000) for /healthz and
// exits 0 when it answers 200. It needs no other configuration, so a container
// health check can run it as is.
func healthcheck(ctx context.Context, env envconfig.Lookuper, stderr io.Writer) int {
	var c struct {
		Addr string `env:"GOLIVE_ADDR, default=:3000"`
	}
	// Like serve, it reads ./.env, where GOLIVE_ADDR may be set.
	overlay, err := withDotenv(env)
	if err != nil {
		fmt.Fprintf(stderr, "golive healthcheck: %v\n", err)
		return 2
	}
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: overlay}); err != nil {
		fmt.Fprintf(stderr, "golive healthcheck: read GOLIVE_ADDR: %v\n", err)
		return 2
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "golive healthcheck: GOLIVE_ADDR %q is not host:port: %v\n", c.Addr, err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "golive healthcheck: GET %s: %v\n", url, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "golive healthcheck: GET %s answered %d\n", url, resp.StatusCode)
		return 1
	}
	return 0
}
