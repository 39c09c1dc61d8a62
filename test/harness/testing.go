package harness

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/api/v1alpha1"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// StartForTest starts a control plane and the loop for t and stops them when t ends. When t
// failed, the harness's log (controller, stand-in operator, agents) is added to the test
// output, and localcluster adds the control plane's log tails.
func StartForTest(t testing.TB, opts Options) *Harness {
	t.Helper()
	c := localcluster.StartForTest(t, localcluster.Options{Nodes: 1, StartTimeout: opts.StartTimeout})
	return StartOnForTest(t, c, opts)
}

// StartOnForTest starts the loop on c for t (c stays the caller's) and stops it when t ends,
// as StartForTest does.
func StartOnForTest(t testing.TB, c *localcluster.Cluster, opts Options) *Harness {
	t.Helper()
	logs := &lockedBuffer{}
	opts.Log = logs
	h, err := StartOn(t.Context(), c, opts)
	if err != nil {
		t.Fatalf("starting the fluxscale loop: %v\nlog:\n%s", err, logs.String())
	}
	// Registered after the cluster's cleanup, so it runs before the control plane stops.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- ScalingPolicies:\n%s", h.dumpPolicies())
		}
		h.Stop()
		if t.Failed() {
			t.Logf("--- harness log (controller, stand-in operator, agents):\n%s", logs.String())
		}
	})
	return h
}

// StartFluxForTest is StartFlux failing t on error.
func (h *Harness) StartFluxForTest(t testing.TB, name string, opts FluxOptions) *Flux {
	t.Helper()
	f, err := h.StartFlux(t.Context(), name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Eventually polls cond every 100 ms until it holds, failing t after timeout with what cond
// last said. Timeouts are generous bounds, not expectations: nothing here asserts speed.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		// Not the poll's context: a read cut short by its deadline would hide what cond saw.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		ok, msg := cond(ctx)
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting up to %s for %s: %v; last seen: %s", timeout, what, err, last)
	}
}

// dumpPolicies renders the harness namespace's ScalingPolicies as YAML, for failed tests.
func (h *Harness) dumpPolicies() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var list v1alpha1.ScalingPolicyList
	if err := h.Client.List(ctx, &list, client.InNamespace(h.Namespace)); err != nil {
		return "listing ScalingPolicies: " + err.Error()
	}
	var b strings.Builder
	for _, sp := range list.Items {
		sp.ManagedFields = nil
		raw, err := yaml.Marshal(sp)
		if err != nil {
			return "encoding ScalingPolicy: " + err.Error()
		}
		b.Write(raw)
		b.WriteString("---\n")
	}
	return b.String()
}

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
