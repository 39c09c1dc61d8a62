// Package fluxoperator runs the real Flux Operator (built by `make tools` into
// bin/flux-operator from its pinned source) against a local control plane, and emulates the
// inside of the MiniCluster pods it creates with real parts: kwok runs the pods, and each pod
// that turns Running gets one real flux broker (flux-core from bin/flux-core), configured as
// the operator configures it for maxSize hosts <name>-<index>, rank = completion index. The
// broker stops when its pod goes, so ranks come online and go offline as in a MiniCluster.
//
// pods/exec into a pod runs on this host inside kwok's private mount namespace, where the
// emulation's root appears at /mnt: a MiniCluster's mountPath (default /mnt/flux) holds
// flux-view.sh, view/bin/flux and the broker socket where this operator version puts them.
// Nothing else is arranged for fluxscale: a command that would fail in a real pod fails here.
package fluxoperator

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// Operator is the running operator and emulation.
type Operator struct {
	cluster *localcluster.Cluster
	root    string // bound at PodMountRoot for pods/exec
	flux    string // the real flux
	dir     string // the instances' configuration and logs
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string

	mu        sync.Mutex
	instances map[string]*instance // by namespace/name

	stop     func()
	stopOnce sync.Once
}

// ClusterOptions are the localcluster options the emulation needs: pods/exec sees root at
// /mnt and gets an image's PATH. Pass root to Start too.
func ClusterOptions(root string, nodes int) localcluster.Options {
	return localcluster.Options{
		Nodes:     nodes,
		ExecMount: localcluster.Mount{Source: root, Target: PodMountRoot},
		ExecEnv:   map[string]string{"PATH": PodPath, "HOME": "/root"},
	}
}

// NewRoot makes the emulation's root directory, short enough for unix socket paths (108
// bytes) under it, and removes it when t ends.
func NewRoot(t testing.TB) string {
	t.Helper()
	root, err := os.MkdirTemp("", "fo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	return root
}

// StartForTest starts a local cluster with one kwok node, the real operator and the
// emulation, all stopped when t ends.
func StartForTest(t testing.TB) (*localcluster.Cluster, *Operator) {
	t.Helper()
	root := NewRoot(t)
	c := localcluster.StartForTest(t, ClusterOptions(root, 1))
	return c, Start(t, c, root)
}

// Start installs the MiniCluster CRD on c, runs the operator against it and emulates its
// pods until t ends. root must be the ExecMount source c was started with.
func Start(t testing.TB, c *localcluster.Cluster, root string) *Operator {
	t.Helper()
	op, err := Run(t.Context(), c, root, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		failed := t.Failed()
		op.Stop()
		if failed {
			op.logTails(t.Logf)
		}
	})
	return op
}

// Run is Start for programs (the demo): logf receives what the emulation could not do; Stop
// ends everything it started.
func Run(ctx context.Context, c *localcluster.Cluster, root string, logf func(format string, args ...any)) (_ *Operator, err error) {
	bin := localcluster.BinDir()
	manager := filepath.Join(bin, "flux-operator", "manager")
	flux := filepath.Join(bin, "flux-core", "bin", "flux")
	for _, p := range []string{manager, flux} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no %s: run `make tools` (or set FLUXSCALE_BIN): %w", p, err)
		}
	}
	// The instances' files hold unix sockets too: keep the path short.
	dir, err := os.MkdirTemp("", "foi")
	if err != nil {
		return nil, err
	}
	op := &Operator{cluster: c, root: root, flux: flux, dir: dir, instances: map[string]*instance{}}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	if err := installCRD(ctx, c, filepath.Join(bin, "flux-operator", "crd", "miniclusters.yaml")); err != nil {
		return nil, err
	}
	if err := op.startManager(manager); err != nil {
		return nil, err
	}
	emuCtx, cancel := context.WithCancel(context.Background())
	emuDone := make(chan struct{})
	go func() {
		defer close(emuDone)
		op.emulate(emuCtx, logf)
	}()
	// The emulation stops before the brokers it starts.
	op.stop = func() {
		cancel()
		<-emuDone
		op.stopManager()
		op.stopInstances()
		_ = os.RemoveAll(dir)
	}
	return op, nil
}

// Stop ends the emulation, its brokers and the operator. It is safe to call twice.
func (op *Operator) Stop() { op.stopOnce.Do(op.stop) }

// installCRD creates the operator's MiniCluster CRD and waits until it is served.
func installCRD(ctx context.Context, c *localcluster.Cluster, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the operator's CRD: %w", err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	cs, err := apiextensionsclient.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	crds := cs.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// startManager runs the operator with the admin kubeconfig; metrics and probes on ports of
// their own, so several test packages can run operators at once.
func (op *Operator) startManager(manager string) error {
	ports := make([]int, 2)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	op.logPath = filepath.Join(op.cluster.LogDir(), "flux-operator.log")
	logFile, err := os.Create(op.logPath)
	if err != nil {
		return err
	}
	op.cmd = exec.Command(manager, "-kubeconfig="+op.cluster.KubeconfigPath(),
		"-metrics-bind-address=127.0.0.1:"+strconv.Itoa(ports[0]),
		"-health-probe-bind-address=127.0.0.1:"+strconv.Itoa(ports[1]))
	op.cmd.Stdout, op.cmd.Stderr = logFile, logFile
	op.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := op.cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting the Flux Operator: %w", err)
	}
	op.done = make(chan struct{})
	go func() {
		_ = op.cmd.Wait()
		logFile.Close()
		close(op.done)
	}()
	return nil
}

func (op *Operator) stopManager() { localcluster.StopGroup(op.cmd.Process.Pid, op.done, 5*time.Second) }

func (op *Operator) stopInstances() {
	op.mu.Lock()
	defer op.mu.Unlock()
	for _, in := range op.instances {
		in.stopAll()
	}
}

// logTails adds the operator's and the brokers' logs to a failed test's output.
func (op *Operator) logTails(logf func(format string, args ...any)) {
	files, _ := filepath.Glob(filepath.Join(op.cluster.LogDir(), "*broker*.log"))
	for _, f := range append([]string{op.logPath}, files...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if len(data) > 3000 {
			data = data[len(data)-3000:]
		}
		logf("--- %s tail:\n%s", filepath.Base(f), data)
	}
}
