package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// cmdHealthcheck asks the local server's /healthz, for container health
// checks in images that have no curl.
func cmdHealthcheck(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "healthcheck", "", "exit 0 if the local server answers /healthz")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(cfg.Server.Listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
