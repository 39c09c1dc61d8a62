package reliability

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/faults"
)

// breaker breaks and heals one policy's Flux source.
type breaker interface {
	// breakSource starts the fault; healSource ends it.
	breakSource()
	healSource()
	// faulty reports whether the fault is in force.
	faulty() bool
	// reads counts the controller's attempts to reach the source so far.
	reads() int
}

// clientBreaker injects one faults.Fault through a faults.Client.
type clientBreaker struct {
	c     *faults.Client
	fault faults.Fault
}

func (b clientBreaker) breakSource() { b.c.Set(b.fault) }
func (b clientBreaker) healSource()  { b.c.Set(faults.None) }
func (b clientBreaker) faulty() bool { return b.c.Fault() != faults.None }
func (b clientBreaker) reads() int   { return b.c.Calls("State") }

// proxyBreaker takes the agent away behind a faults.Proxy: open long-polls are cut and new
// connections refused.
type proxyBreaker struct{ p *faults.Proxy }

func (b proxyBreaker) breakSource() { b.p.Down() }
func (b proxyBreaker) healSource()  { b.p.Up() }
func (b proxyBreaker) faulty() bool { return b.p.IsDown() }
func (b proxyBreaker) reads() int   { accepted, _ := b.p.Counts(); return accepted }

// The Flux source fails in each way a real one can (errors, timeouts, reads that hang until
// spec.flux.timeoutSeconds, garbage output, an agent gone mid long-poll) right when the
// queue empties. Fresh state would shrink the Job 3 -> 1 at once; with the source broken the
// controller must hold 3 (every size the Job had, seen through a watch, never decreases
// while the source is faulty), set FallbackActive after fallback.afterSeconds, and once the
// source is back clear FallbackActive and shrink, draining first: no simulated job killed.
func TestSourceFaultsHoldSize(t *testing.T) {
	e := startEnv(t)
	srcs := newSources()
	startController(t, e, srcs, controllerOptions{})
	cases := []string{"error", "timeout", "hang", "garbage", "gone", "agent-gone"}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := e.namespace(t, "src-"+name)
			policyName := "p-" + name
			sim := ctrltest.NewSim(t, 3)
			var b breaker
			switch name {
			case "agent-gone":
				proxy := agentBehindProxy(t, srcs, policyName, sim)
				b = proxyBreaker{p: proxy}
				defer func() {
					if _, dropped := proxy.Counts(); dropped == 0 {
						t.Error("no connection was open when the agent went away: the long-poll cut was not tested")
					}
				}()
			default:
				fc := faults.Wrap(sim)
				srcs.add(policyName, fc)
				b = clientBreaker{c: fc, fault: faults.Fault(strings.ToUpper(name[:1]) + name[1:])}
				defer func() {
					// Only the controller's deadline ends a hung read: flux.timeoutSeconds 1.
					if d := fc.LongestHang(); d > 3*time.Second {
						t.Errorf("a hung Flux call lasted %s: not bounded by flux.timeoutSeconds (1 s)", d)
					} else if name == "hang" {
						t.Logf("MEASURED longest hung Flux call: %s (flux.timeoutSeconds 1)", d.Round(time.Millisecond))
					}
				}()
			}
			runSourceFault(t, e, ns, policyName, sim, b)
		})
	}
}

func runSourceFault(t *testing.T, e *env, ns, policyName string, sim *simulated.Cluster, b breaker) {
	createIndexedJob(t, e, ns, "work", 1)
	startMirror(t, e, sim, ns, "work")
	sizes := recordSizes(t, e, ns, "work", b.faulty)
	p := jobPolicy(ns, policyName, "work", 3)
	p.Spec.Flux.TimeoutSeconds = 1
	p.Spec.Fallback = v1alpha1.FallbackSpec{AfterSeconds: 2, Action: v1alpha1.FallbackHold}
	if err := e.Client.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, time.Minute, "1 Flux rank up", func(context.Context) (bool, string) {
		return sim.Size() == 1, fmt.Sprintf("size %d", sim.Size())
	})
	ctrltest.Submit(t, sim, 1, 3, 10*time.Second)
	ctrltest.Eventually(t, 40*time.Second, "growth to 3 with every job running", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, e, ns, "work")
		st := sim.Stats()
		return n == 3 && st.Started == 3 && st.Finished == 0, fmt.Sprintf("parallelism %d %s; sim %+v", n, msg, st)
	})

	b.breakSource()
	broke := time.Now()
	ctrltest.Eventually(t, 30*time.Second, "FallbackActive", func(ctx context.Context) (bool, string) {
		return conditionIs(ctx, e, ns, policyName, v1alpha1.ConditionFallbackActive, "True/"+v1alpha1.ReasonFallbackHold)
	})
	t.Logf("MEASURED source broken -> FallbackActive seen: %s (fallback.afterSeconds 2)", time.Since(broke).Round(time.Millisecond))
	var readsWhenIdle int
	ctrltest.Eventually(t, 40*time.Second, "every job ended, and 3 more reads tried on the idle cluster with FallbackActive",
		func(ctx context.Context) (bool, string) {
			ok, msg := conditionIs(ctx, e, ns, policyName, v1alpha1.ConditionFallbackActive, "True/"+v1alpha1.ReasonFallbackHold)
			st := sim.Stats()
			if st.Finished < 3 {
				return false, fmt.Sprintf("sim %+v; %s", st, msg)
			}
			if readsWhenIdle == 0 {
				readsWhenIdle = b.reads()
			}
			return ok && b.reads() >= readsWhenIdle+3, fmt.Sprintf("%d reads since idle; %s", b.reads()-readsWhenIdle, msg)
		})
	if n, msg := jobParallelism(t.Context(), e, ns, "work"); n != 3 {
		t.Fatalf("while the source was broken the Job went to %d %s, want 3 held", n, msg)
	}
	if bad := sizes.decreaseWhileFaulty(); bad != "" {
		t.Fatalf("scale-down on stale data: %s; sizes %v", bad, sizes.sizes())
	}

	b.healSource()
	ctrltest.Eventually(t, 40*time.Second, "FallbackActive False and the shrink to 1", func(ctx context.Context) (bool, string) {
		ok, msg := conditionIs(ctx, e, ns, policyName, v1alpha1.ConditionFallbackActive, "False/"+v1alpha1.ReasonFluxHealthy)
		n, pmsg := jobParallelism(ctx, e, ns, "work")
		return ok && n == 1, fmt.Sprintf("parallelism %d %s; %s", n, pmsg, msg)
	})
	// The watch may deliver the last size a moment after the GET above saw it.
	ctrltest.Eventually(t, 10*time.Second, "the watch to see the shrink", func(context.Context) (bool, string) {
		got := fmt.Sprint(sizes.sizes())
		return got == "[1 3 1]", "sizes the Job had: " + got + ", want [1 3 1]"
	})
	if bad := sizes.decreaseWhileFaulty(); bad != "" {
		t.Errorf("scale-down on stale data: %s", bad)
	}
	if st := sim.Stats(); st.Killed != 0 || st.Finished != 3 {
		t.Errorf("simulated jobs: %d killed (want 0), %d finished (want 3)", st.Killed, st.Finished)
	}
}

// agentBehindProxy serves sim through the real agent HTTP server behind a faults.Proxy and
// registers the real agent client of the proxy as the policy's source.
func agentBehindProxy(t *testing.T, srcs *sources, policyName string, sim *simulated.Cluster) *faults.Proxy {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("drain-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := agent.NewServer(agent.Options{Source: sim, TokenFile: tokenFile})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); srv.Run(ctx) }()
	go func() { _ = hs.Serve(ln) }() // returns ErrServerClosed on Close below
	proxy, err := faults.NewProxy(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = proxy.Close()
		_ = hs.Close()
		cancel()
		<-ran
	})
	c, err := agent.NewClient(proxy.URL(), agent.ClientOptions{Token: "drain-token", Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srcs.add(policyName, c)
	return proxy
}
