// Package liveflux starts real flux-core instances for tests: `flux start --test-size=N`
// from the flux-core that `make tools` builds into bin/flux-core. Every instance is shut
// down, and every process it started killed, when the test ends, also when it fails.
package liveflux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// Options configures an instance.
type Options struct {
	// Size is the number of brokers (ranks); default 1.
	Size int
	// Hosts are fake host names, e.g. "fake[0-3]" (`--test-hosts`); default Flux's own.
	Hosts string
}

// Instance is a running Flux instance.
type Instance struct {
	// URI is rank 0's FLUX_URI.
	URI string
	// Prefix is the flux-core install (bin/flux is the CLI).
	Prefix string
	t      testing.TB
	cmd    *exec.Cmd
	done   chan struct{}
	// Output collects what the instance printed, shown when a test fails.
	output *bytes.Buffer
}

// findPrefix finds the flux-core install: flux-core in the binaries directory of `make
// tools` ($FLUXSCALE_BIN, else bin/ at the module root). A missing install is a failure, not
// a skip: `make test` builds it.
func findPrefix() (string, error) {
	bin := localcluster.BinDir()
	if bin == "" {
		return "", errors.New("not inside the fluxscale module; set FLUXSCALE_BIN")
	}
	return checkPrefix(filepath.Join(bin, "flux-core"))
}

func checkPrefix(prefix string) (string, error) {
	if _, err := os.Stat(filepath.Join(prefix, "bin", "flux")); err != nil {
		return "", fmt.Errorf("no flux-core at %s: run `make tools` (or set FLUXSCALE_BIN): %w", prefix, err)
	}
	return prefix, nil
}

// Flux returns the flux CLI's path.
func (i *Instance) Flux() string { return filepath.Join(i.Prefix, "bin", "flux") }

// Start starts an instance and waits until every broker is online. The instance's lead
// broker exits only when told to (`--test-exit-mode=leader`), so a test may kill other
// brokers.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	prefix, err := findPrefix()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Size <= 0 {
		opts.Size = 1
	}
	dir := t.TempDir()
	uriFile := filepath.Join(dir, "uri")
	args := []string{"start", "--test-size=" + strconv.Itoa(opts.Size), "--test-exit-mode=leader"}
	if opts.Hosts != "" {
		args = append(args, "--test-hosts="+opts.Hosts)
	}
	// The initial program publishes the URI and then waits to be shut down.
	args = append(args, "sh", "-c", `echo "$FLUX_URI" >`+uriFile+`.tmp && mv `+uriFile+`.tmp `+uriFile+` && exec sleep 100000`)
	i := &Instance{Prefix: prefix, t: t, done: make(chan struct{}), output: &bytes.Buffer{}}
	i.cmd = exec.Command(i.Flux(), args...)
	i.cmd.Dir = dir
	i.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	i.cmd.Stdout, i.cmd.Stderr = i.output, i.output
	// Its own process group, so cleanup reaches every broker it forked.
	i.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := i.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", i.Flux(), err)
	}
	go func() { _ = i.cmd.Wait(); close(i.done) }()
	t.Cleanup(i.stop)

	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(uriFile); err == nil {
			i.URI = strings.TrimSpace(string(b))
			break
		}
		select {
		case <-i.done:
			t.Fatalf("flux start exited before it was ready: %s", i.output)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("flux start: no URI after 60s: %s", i.output)
		}
	}
	i.WaitFor(fmt.Sprintf("%d ranks online", opts.Size), func() bool {
		out, err := i.Run("resource", "status", "-s", "online", "-n", "-o", "{nnodes}")
		return err == nil && strings.TrimSpace(out) == strconv.Itoa(opts.Size)
	})
	return i
}

// Env is the environment a client of the instance runs flux with.
func (i *Instance) Env() []string { return append(os.Environ(), "FLUX_URI="+i.URI) }

// Run runs `flux ARGS...` against the instance and returns stdout; an error carries stderr.
func (i *Instance) Run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, i.Flux(), args...)
	cmd.Env = i.Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("flux %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// MustRun is Run that fails the test on error.
func (i *Instance) MustRun(args ...string) string {
	i.t.Helper()
	out, err := i.Run(args...)
	if err != nil {
		i.t.Fatal(err)
	}
	return out
}

// WaitFor polls cond every 100 ms for up to 60 s and fails the test naming what if it never
// holds.
func (i *Instance) WaitFor(what string, cond func() bool) {
	i.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			i.t.Fatalf("waited 60s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// KillBroker kills rank's broker (never rank 0: the instance ends with its leader).
func (i *Instance) KillBroker(rank int) {
	i.t.Helper()
	if rank == 0 {
		i.t.Fatal("KillBroker(0): the leader's exit ends the instance; use Stop")
	}
	out := i.MustRun("exec", "-r", strconv.Itoa(rank), i.Flux(), "getattr", "broker.pid")
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		i.t.Fatalf("broker.pid of rank %d: %q", rank, out)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		i.t.Fatalf("killing rank %d (pid %d): %v", rank, pid, err)
	}
}

// Stop shuts the instance down and waits for it; a test calls it to see a stopped instance.
// Cleanup calls it too.
func (i *Instance) Stop() { i.stop() }

func (i *Instance) stop() {
	select {
	case <-i.done:
		return
	default:
	}
	// A clean shutdown first, so the brokers leave no state behind; then the whole group.
	_, _ = i.Run("shutdown", "--quiet")
	select {
	case <-i.done:
	case <-time.After(20 * time.Second):
	}
	_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	<-i.done
	if i.t.Failed() {
		i.t.Logf("flux start output:\n%s", i.output)
	}
}
