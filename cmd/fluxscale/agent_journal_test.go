package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// TestAgentFollowsJournalsInMiniClusterLayout runs the agent as the sidecar sample does
// (--mount-path, the default --watch=journal) against a live instance laid out as a
// MiniCluster pod's mount path: flux-view.sh naming the real flux and the broker's socket.
// A submit reaches a parked long-poll through the journal watcher.
func TestAgentFollowsJournalsInMiniClusterLayout(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	mount := t.TempDir()
	view := "export PATH=" + filepath.Join(in.Prefix, "bin") + ":/usr/bin:/bin\nexport fluxsocket=" + in.URI + "\n"
	if err := os.WriteFile(filepath.Join(mount, "flux-view.sh"), []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	cfg := agentConfig{interval: time.Second, readTimeout: 30 * time.Second, maxWait: time.Minute, fluxPath: "flux",
		mountPath: mount, reader: flux.ReaderPython, watch: watchJournal, resync: time.Minute}
	// The agent says so if it falls back to polling: that would pass the test below too.
	var logged strings.Builder
	var mu sync.Mutex
	log := funcr.New(func(prefix, args string) { mu.Lock(); defer mu.Unlock(); logged.WriteString(args + "\n") }, funcr.Options{})
	go func() { served <- serveAgent(ctx, cfg, ln, log) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serveAgent after cancel: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(logged.String(), "polling instead") {
			t.Errorf("the agent fell back to polling:\n%s", logged.String())
		}
	}()

	client, err := agent.NewClient("http://"+ln.Addr().String(), agent.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancelWait := context.WithTimeout(ctx, time.Minute)
	defer cancelWait()
	st, err := client.Watch(waitCtx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Nodes.Up != 2 {
		t.Fatalf("first state: %d ranks up, want 2", st.Nodes.Up)
	}
	id := strings.TrimSpace(in.MustRun("submit", "--urgency=hold", "true"))
	for st.Counts.Held != 1 {
		if st, err = client.Watch(waitCtx, st.Version); err != nil {
			t.Fatalf("waiting for held job %s: %v", id, err)
		}
	}
}
