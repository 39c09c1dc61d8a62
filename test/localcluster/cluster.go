// Package localcluster runs a throwaway Kubernetes control plane for tests: etcd,
// kube-apiserver, kube-controller-manager and kwok (fake nodes and pods), all built by
// `make tools` into bin/. There is no kube-scheduler and no kubelet: give pods a nodeName
// (or bind them), and kwok marks them Running and serves pods/exec by running the command on
// this host.
//
// Tests usually call StartForTest. API-only tests can use controller-runtime's envtest with
// the same binaries: envtest.Environment{BinaryAssetsDirectory: localcluster.BinDir()}
// (KUBEBUILDER_ASSETS, which `make test` sets, takes precedence over it).
package localcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options configures Start. The zero value starts a cluster without nodes.
type Options struct {
	// Nodes is the number of fake nodes (kwok-node-0 ...) to create and wait for.
	Nodes int
	// ExecEnv are environment variables for commands run through pods/exec; they are also
	// set on the kwok process because kwok resolves the command name with its own PATH.
	ExecEnv map[string]string
	// ExecWorkDir is the working directory of exec'd commands; default: the cluster's
	// temp dir.
	ExecWorkDir string
	// ExecMount, when its Source is set, bind-mounts Source at Target for the commands run
	// through pods/exec, in a private mount namespace of kwok's (unshare -m; needs root), so
	// an exec'd command sees the paths a real pod has (a MiniCluster's /mnt/flux) without
	// touching this host's.
	ExecMount Mount
	// LogDir receives one log file per binary and is kept after Stop; default: a directory
	// inside the cluster's temp dir, removed by Stop.
	LogDir string
	// StartTimeout bounds startup; default 3 minutes (a cold apiserver under -race on two
	// busy cores takes tens of seconds).
	StartTimeout time.Duration
}

// Mount is a bind mount.
type Mount struct {
	Source, Target string
}

// NodeAnnotation marks the nodes kwok manages.
const NodeAnnotation = "kwok.x-k8s.io/node"

// Cluster is a running control plane. Stop it when done.
type Cluster struct {
	dir        string
	logDir     string
	kubeconfig string
	config     *rest.Config
	client     kubernetes.Interface
	nodes      []string
	procs      []*process
	stopOnce   sync.Once
}

// Start starts the control plane and returns when the API is ready, the requested nodes are
// Ready and the default ServiceAccount exists.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bins, err := checkBinaries(BinDir())
	if err != nil {
		return nil, err
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	// The ports are free when picked and bound a moment later by the components; a test
	// process starting its own cluster in between can take one (seen once under parallel
	// packages: "address already in use"). Such a start is tried again on new ports.
	for attempt := 1; ; attempt++ {
		c, clash, err := start(ctx, bins, opts)
		if err == nil || !clash || attempt == maxPortAttempts || ctx.Err() != nil {
			return c, err
		}
	}
}

// maxPortAttempts bounds the starts that met a port another process took.
const maxPortAttempts = 3

// portClash is what etcd, kube-apiserver and kwok log when a port was taken.
const portClash = "address already in use"

// start is one attempt of Start; clash reports that it failed because a component could not
// bind its port.
func start(ctx context.Context, bins map[string]string, opts Options) (_ *Cluster, clash bool, err error) {
	dir, err := os.MkdirTemp("", "localcluster-")
	if err != nil {
		return nil, false, fmt.Errorf("creating cluster dir: %w", err)
	}
	c := &Cluster{dir: dir, logDir: opts.LogDir}
	defer func() {
		if err != nil {
			clash = strings.Contains(err.Error(), portClash) || c.logsSay(portClash)
			c.Stop()
		}
	}()
	if err = c.startComponents(ctx, bins, opts); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// logsSay reports whether any component's log contains text.
func (c *Cluster) logsSay(text string) bool {
	for _, p := range c.procs {
		if data, err := os.ReadFile(p.logPath); err == nil && strings.Contains(string(data), text) {
			return true
		}
	}
	return false
}

// startComponents starts etcd, kube-apiserver, kube-controller-manager, kwok and the nodes.
func (c *Cluster) startComponents(ctx context.Context, bins map[string]string, opts Options) error {
	if c.logDir == "" {
		c.logDir = filepath.Join(c.dir, "logs")
	}
	if err := os.MkdirAll(c.logDir, 0o755); err != nil {
		return fmt.Errorf("creating log dir: %w", err)
	}
	certs, err := newPKI(c.dir)
	if err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}
	ports, err := pickPorts(4)
	if err != nil {
		return fmt.Errorf("finding free ports: %w", err)
	}
	etcdPort, peerPort, apiPort, kwokPort := ports[0], ports[1], ports[2], ports[3]

	if err := c.startEtcd(ctx, bins["etcd"], etcdPort, peerPort); err != nil {
		return err
	}
	if err := c.startAPIServer(ctx, bins["kube-apiserver"], certs, apiPort, etcdPort); err != nil {
		return err
	}
	kcm, err := c.startControllerManager(bins["kube-controller-manager"], certs)
	if err != nil {
		return err
	}
	kwok, err := c.startKwok(bins["kwok"], filepath.Join(filepath.Dir(bins["kwok"]), "kwok-stages"), certs, kwokPort, opts)
	if err != nil {
		return err
	}
	// Nodes are created after kwok runs so its node-initialize stage fills in the loopback
	// address and kubelet port that pods/exec goes through.
	if err := c.createNodes(ctx, opts.Nodes, kwok); err != nil {
		return err
	}
	// The serviceaccount controller creating "default" shows the controller manager works;
	// pods cannot be created in a namespace before that.
	if err := c.waitDefaultServiceAccount(ctx, metav1.NamespaceDefault, kcm); err != nil {
		return err
	}
	return nil
}

// RESTConfig returns a copy of the admin (system:masters) client config.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.config) }

// Client returns an admin clientset.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// Nodes returns the names of the fake nodes, all Ready.
func (c *Cluster) Nodes() []string { return append([]string(nil), c.nodes...) }

// KubeconfigPath returns an admin kubeconfig file with embedded credentials, e.g. for running
// the controller binary against the cluster. It is removed by Stop.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfig }

// LogDir returns the directory holding etcd.log, kube-apiserver.log and so on.
func (c *Cluster) LogDir() string { return c.logDir }

// Stop kills every process the cluster started and removes its files (not a caller-chosen
// LogDir). It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		// Reverse start order, so nothing logs errors about a dependency vanishing first.
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].stop()
		}
		_ = os.RemoveAll(c.dir)
	})
}

// CreateNamespace creates a namespace and waits for its default ServiceAccount, without which
// the ServiceAccount admission plugin rejects pods.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return c.waitDefaultServiceAccount(ctx, name, nil)
}

func (c *Cluster) waitDefaultServiceAccount(ctx context.Context, ns string, kcm *process) error {
	err := c.poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		_, err := c.client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		err = fmt.Errorf("waiting for ServiceAccount %s/default: %w", ns, err)
		if kcm != nil {
			return kcm.withLog(err)
		}
	}
	return err
}

// poll runs cond until it is true, failing early if any started process died. Errors from
// cond are retried (the API answers errors while it starts) and reported on timeout.
func (c *Cluster) poll(ctx context.Context, timeout time.Duration, cond wait.ConditionWithContextFunc) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		for _, p := range c.procs {
			if err := p.exited(); err != nil {
				return false, err
			}
		}
		ok, err := cond(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		return ok, nil
	})
	if err != nil && last != nil && wait.Interrupted(err) {
		return fmt.Errorf("%w (last error: %v)", err, last)
	}
	return err
}

// pickPorts picks the components' ports; a test replaces it to hand out a taken one.
var pickPorts = freePorts

// freePorts reserves n distinct loopback ports by listening on them at the same time, then
// releases them for the binaries to bind.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
