// Package harness stands the whole fluxscale loop up in one process, for the end-to-end
// tests, the demo and benchmarks: a local control plane (test/localcluster: etcd,
// kube-apiserver, the Job controller, kwok nodes), the ScalingPolicy CRD from config/, the
// test MiniCluster CRD with its STAND-IN operator (test/minicluster, not the Flux Operator),
// the fluxscale controller (autoscaler.SetupWithManager) with its hint API checking callers
// with real TokenReviews and SubjectAccessReviews, and per target a simulated Flux cluster
// (metrics/simulated) served by the real agent HTTP server on loopback, which the controller
// reads with the real agent client and long-poll. A mirror keeps each simulated cluster's
// size equal to its target's Running pods, as Flux ranks come up when their pods run.
package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/localcluster"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// DefaultNamespace is where the harness puts its objects unless told otherwise; it is the
// namespace of DESIGN.md's examples.
const DefaultNamespace = "flux-operator"

// Options configure Start. The zero value is usable.
type Options struct {
	// Namespace holds the targets, policies, agent token Secrets and the application's
	// ServiceAccount; it is created. Default DefaultNamespace.
	Namespace string
	// Log receives the controller's, the stand-in operator's and the agents' logs, one line
	// each; default: discarded.
	Log io.Writer
	// ClusterLogDir keeps the control plane's logs (one file per binary) after Stop;
	// default: removed with the cluster.
	ClusterLogDir string
	// StartTimeout bounds the control plane's startup; default localcluster's.
	StartTimeout time.Duration
	// RealOperator leaves MiniClusters to the real Flux Operator the caller runs
	// (test/fluxoperator): no stand-in operator or test CRD is installed, and the controller
	// reads Flux as in production (source.KubeSources: Exec into rank 0's pod) instead of
	// only through the harness's agents.
	RealOperator bool
	// FluxWatch is the controller's -flux-watch for the Exec source (source.WatchStream or
	// WatchPoll; "" is the controller's default). It matters only with RealOperator.
	FluxWatch string
}

// Harness is a running fluxscale loop. Stop it when done; Stop is safe to call twice.
type Harness struct {
	// Cluster is the control plane.
	Cluster *localcluster.Cluster
	// Config is an admin client config.
	Config *rest.Config
	// Client is an admin client knowing the built-in types, ScalingPolicy and MiniCluster.
	Client client.Client
	// Clientset is an admin clientset.
	Clientset kubernetes.Interface
	// Namespace holds the test objects.
	Namespace string
	// Node is the kwok node every pod is pinned to (there is no scheduler).
	Node string
	// Clock is the virtual time of the simulated Flux clusters.
	Clock *VirtualClock
	// Controller is the fluxscale controller running in this process.
	Controller *Controller

	log          logr.Logger
	dir          string
	ownsCluster  bool
	realOperator bool

	mu       sync.Mutex
	stops    []func() // run in reverse order by Stop
	stopOnce sync.Once
}

// Start starts a control plane and the whole loop on it; the harness owns the control plane
// and Stop stops it.
func Start(ctx context.Context, opts Options) (*Harness, error) {
	c, err := localcluster.Start(ctx, localcluster.Options{Nodes: 1, LogDir: opts.ClusterLogDir, StartTimeout: opts.StartTimeout})
	if err != nil {
		return nil, fmt.Errorf("starting the local control plane: %w", err)
	}
	h, err := StartOn(ctx, c, opts)
	if err != nil {
		c.Stop()
		return nil, err
	}
	h.ownsCluster = true
	return h, nil
}

// StartOn starts the loop on a running control plane with at least one node, which the
// caller stops after Stop.
func StartOn(ctx context.Context, c *localcluster.Cluster, opts Options) (_ *Harness, err error) {
	if len(c.Nodes()) == 0 {
		return nil, errors.New("the control plane has no node: start it with localcluster.Options{Nodes: 1}")
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	h := &Harness{Cluster: c, Config: c.RESTConfig(), Clientset: c.Client(), Namespace: opts.Namespace,
		Node: c.Nodes()[0], Clock: &VirtualClock{}, log: newLogger(opts.Log), realOperator: opts.RealOperator}
	defer func() {
		if err != nil {
			h.Stop()
		}
	}()
	if h.dir, err = os.MkdirTemp("", "fluxscale-harness-"); err != nil {
		return nil, fmt.Errorf("creating the harness directory: %w", err)
	}
	h.onStop(func() { _ = os.RemoveAll(h.dir) })
	if h.Client, err = newClient(h.Config); err != nil {
		return nil, err
	}
	if err := c.CreateNamespace(ctx, h.Namespace); err != nil {
		return nil, err
	}
	root, err := localcluster.ModuleRoot()
	if err != nil {
		return nil, err
	}
	if err := InstallScalingPolicyCRD(ctx, h.Config, root); err != nil {
		return nil, err
	}
	if !opts.RealOperator {
		if err := h.startStandIn(ctx); err != nil {
			return nil, err
		}
	}
	if h.Controller, err = startController(ctx, h.Config, h.controllerSetup(opts.FluxWatch)); err != nil {
		return nil, err
	}
	return h, nil
}

// RestartController stops the controller and starts a new one with fluxWatch as its
// -flux-watch, as a rollout with a changed flag would: its hint store starts empty and its
// hint API listens on a new port (Apps made before it post to the old one).
func (h *Harness) RestartController(ctx context.Context, fluxWatch string) error {
	h.Controller.stop()
	c, err := startController(ctx, h.Config, h.controllerSetup(fluxWatch))
	if err != nil {
		return err
	}
	h.Controller = c
	return nil
}

func (h *Harness) controllerSetup(fluxWatch string) controllerSetup {
	return controllerSetup{realOperator: h.realOperator, fluxWatch: fluxWatch, log: h.log.WithName("controller")}
}

// Stop stops everything the harness started: the controller first (so it does not log the
// agents going away), then the rest last started first (mirrors, simulated Flux clusters and
// their agents, the stand-in operator) and, when the harness started it, the control plane.
func (h *Harness) Stop() {
	h.stopOnce.Do(func() {
		if h.Controller != nil {
			h.Controller.stop()
		}
		h.mu.Lock()
		stops := h.stops
		h.stops = nil
		h.mu.Unlock()
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		if h.ownsCluster {
			h.Cluster.Stop()
		}
	})
}

func (h *Harness) onStop(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stops = append(h.stops, f)
}

// startStandIn installs the MiniCluster CRD and runs the stand-in operator, pinning pods to
// the harness's node.
func (h *Harness) startStandIn(ctx context.Context) error {
	if err := minicluster.Install(ctx, h.Config); err != nil {
		return err
	}
	mgr, err := minicluster.NewStandInManager(h.Config, minicluster.StandInOptions{NodeName: h.Node}, h.log.WithName("standin"))
	if err != nil {
		return err
	}
	stop, err := runManager(ctx, mgr, "the MiniCluster stand-in operator")
	if err != nil {
		return err
	}
	h.onStop(stop)
	return nil
}

func newClient(cfg *rest.Config) (client.Client, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, minicluster.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("building the client scheme: %w", err)
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("creating the admin client: %w", err)
	}
	return c, nil
}

// newLogger logs one timestamped line per entry to w, or nowhere.
func newLogger(w io.Writer) logr.Logger {
	if w == nil {
		return logr.Discard()
	}
	var mu sync.Mutex
	return funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s %s %s\n", time.Now().Format("15:04:05.000"), prefix, args)
	}, funcr.Options{Verbosity: 1})
}
