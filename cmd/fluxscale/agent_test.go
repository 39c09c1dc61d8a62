package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/fluxstandin/fixture"
	"github.com/fluxscale/fluxscale/test/fluxstandin/golden"
)

// TestAgentServesFluxState runs the agent as `fluxscale agent` does, with a stand-in flux
// that answers with the elastic-config recordings of step 3 (ranks 2-3 drained while rank 2
// runs a job; ranks 4-5 never came up), and reads it back through the agent client.
func TestAgentServesFluxState(t *testing.T) {
	fluxPath := filepath.Join(fixture.BuildStandin(t), "flux")
	scenario := golden.ElasticConfigStep3Scenario(t)
	t.Setenv("FLUXSTANDIN_DIR", scenario)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	cfg := agentConfig{interval: time.Hour, readTimeout: 30 * time.Second, maxWait: time.Minute, tokenFile: tokenFile, fluxPath: fluxPath,
		// The stand-in replays recordings of the three CLI commands; it has no flux python
		// to follow the journals with.
		reader: flux.ReaderCLI, watch: watchPoll, resync: time.Minute}
	go func() { served <- serveAgent(ctx, cfg, ln, logr.Discard()) }()

	client, err := agent.NewClient("http://"+ln.Addr().String(), agent.ClientOptions{Token: "t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	// The first read starts at once; Watch(0) returns as soon as it is served.
	waitCtx, cancelWait := context.WithTimeout(ctx, time.Minute)
	defer cancelWait()
	got, err := client.Watch(waitCtx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := golden.ElasticConfigStep3()
	if got.Version == 0 {
		t.Error("the agent served an unversioned state")
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(flux.State{}, "ObservedAt", "Version")); diff != "" {
		t.Errorf("state served by the agent (-want +got):\n%s", diff)
	}

	// The stand-in has no recording of this drain: the agent reports flux's failure.
	err = client.Drain(ctx, flux.RankSet{4, 5}, "fluxscale: scale-down")
	var se *agent.StatusError
	if !errors.As(err, &se) || se.StatusCode != 502 || !bytes.Contains([]byte(se.Message), []byte("no recording")) {
		t.Errorf("drain without a recording = %v, want a 502 carrying the stand-in's message", err)
	}

	cancel()
	if err := <-served; err != nil {
		t.Errorf("serveAgent after cancel: %v", err)
	}
}

func TestAgentFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "negative interval", args: []string{"--interval=-1s"}},
		{name: "missing token file", args: []string{"--token-file=/nonexistent/token"}},
		{name: "positional argument", args: []string{"extra"}},
		{name: "unknown flag", args: []string{"--bogus"}},
		{name: "unknown watch", args: []string{"--watch=inotify"}},
		{name: "zero resync", args: []string{"--resync=0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if err := runAgent(tt.args, &bytes.Buffer{}, &stderr); !errors.Is(err, errUsage) {
				t.Errorf("runAgent(%q) = %v, want a usage error", tt.args, err)
			}
		})
	}
}
