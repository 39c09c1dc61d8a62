package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// stepInterval is how often a simulated cluster catches up with the virtual clock: job ends
// land at most this late.
const stepInterval = 20 * time.Millisecond

// FluxOptions describe the simulated Flux cluster of one target.
type FluxOptions struct {
	// Job is the Job whose Running pods are the Flux ranks: a MiniCluster's Job has the
	// MiniCluster's name. Required.
	Job string
	// MaxSize is the number of ranks Flux knows (a MiniCluster's maxSize). Required.
	MaxSize int32
	// CoresPerNode of each rank; default 1.
	CoresPerNode int32
	// Sched is the queue policy; default FCFS.
	Sched simulated.SchedPolicy
}

// Flux is a simulated Flux cluster for one target, served by the fluxscale agent on
// loopback. Its ranks follow the target's Running pods (with no boot delay: a rank is up
// when its pod runs), its time follows the harness's VirtualClock.
type Flux struct {
	// Sim is the simulated cluster: submit jobs to it, read its counters.
	Sim *simulated.Cluster
	// URL is the agent's base URL.
	URL string
	// TokenSecret names the Secret (key "token") holding the agent's drain token.
	TokenSecret string
	// Mirror reports what the mirror saw.
	Mirror *Mirror

	stop func()
}

// Source is the spec.flux of a policy that reads this cluster through its agent.
func (f *Flux) Source() v1alpha1.FluxSource {
	return v1alpha1.FluxSource{
		Source: v1alpha1.SourceAgent,
		Agent:  &v1alpha1.AgentSource{URL: f.URL, TokenSecretRef: &v1alpha1.SecretKeyRef{Name: f.TokenSecret, Key: "token"}},
	}
}

// StartFlux starts a simulated Flux cluster named name, its agent and its mirror. They run
// until Stop.
func (h *Harness) StartFlux(ctx context.Context, name string, opts FluxOptions) (*Flux, error) {
	if opts.Job == "" || opts.MaxSize < 1 {
		return nil, fmt.Errorf("simulated Flux %s: FluxOptions needs Job and a MaxSize of at least 1 (got %q, %d)", name, opts.Job, opts.MaxSize)
	}
	sim, err := simulated.New(simulated.Options{Start: h.Clock.Now(), MaxSize: opts.MaxSize, CoresPerNode: opts.CoresPerNode, Sched: opts.Sched})
	if err != nil {
		return nil, err
	}
	f := &Flux{Sim: sim, TokenSecret: name + "-agent-token"}
	tokenFile, err := h.agentToken(ctx, f.TokenSecret)
	if err != nil {
		return nil, err
	}
	log := h.log.WithName("agent").WithValues("flux", name)
	server, err := agent.NewServer(agent.Options{Source: sim, TokenFile: tokenFile, Log: log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the agent of %s: %w", name, err)
	}
	f.URL = "http://" + ln.Addr().String()
	httpServer := &http.Server{Handler: server.Handler(), ReadHeaderTimeout: 5 * time.Second}

	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := sim.Follow(runCtx, h.Clock, stepInterval); err != nil {
			log.Error(err, "simulated cluster stopped")
		}
	}()
	go func() {
		defer wg.Done()
		server.Run(runCtx)
	}()
	go func() {
		defer wg.Done()
		if err := httpServer.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "agent HTTP server stopped")
		}
	}()
	f.stop = func() {
		cancel()
		// Close, not Shutdown: long-polls in flight would hold Shutdown for their whole wait.
		_ = httpServer.Close()
		wg.Wait()
	}
	h.onStop(f.stop)
	f.Mirror, err = h.startMirror(ctx, opts.Job, sim, log.WithName("mirror"))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// agentToken makes a random drain token, writes it to the file the agent reads and to the
// Secret the policy names, and returns the file's path.
func (h *Harness) agentToken(ctx context.Context, secret string) (string, error) {
	token := rand.Text()
	path := filepath.Join(h.dir, secret)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the agent token file: %w", err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secret, Namespace: h.Namespace},
		Data:       map[string][]byte{"token": []byte(token)},
	}
	if err := h.Client.Create(ctx, s); err != nil {
		return "", fmt.Errorf("creating the agent token Secret %s: %w", secret, err)
	}
	return path, nil
}
