package fluxoperator

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// instance is the Flux instance of one MiniCluster: a broker configuration bootstrapped for
// maxSize hosts named <name>-<index>, as the operator writes it, and one broker process per
// Running pod, rank = completion index.
type instance struct {
	name    string
	maxSize int
	flux    string // the real flux
	layout  layout
	dir     string // configuration, certificate, R and per-rank run directories
	logDir  string

	mu      sync.Mutex
	brokers map[int]*broker
}

// broker is one running flux broker.
type broker struct {
	rank int
	pod  string // the pod it stands for (name/uid): a replaced pod gets a new broker
	cmd  *exec.Cmd
	done chan struct{}
}

// newInstance writes the configuration of a MiniCluster's instance. Rank 0 binds a free
// loopback port; the other ranks only connect to it (the operator's tbon.fanout of 256 makes
// every rank a child of rank 0).
func newInstance(dir, logDir, flux string, l layout, name string, maxSize int) (*instance, error) {
	in := &instance{name: name, maxSize: maxSize, flux: flux, layout: l, dir: dir, logDir: logDir, brokers: map[int]*broker{}}
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cert := filepath.Join(dir, "curve.cert")
	if out, err := exec.Command(flux, "keygen", cert).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("flux keygen: %v: %s", err, out)
	}
	hosts := fmt.Sprintf("%s-[0-%d]", name, maxSize-1)
	ranks := fmt.Sprintf("0-%d", maxSize-1)
	r, err := exec.Command(flux, "R", "encode", "--hosts="+hosts, "--cores=0-1", "--ranks="+ranks).Output()
	if err != nil {
		return nil, fmt.Errorf("flux R encode: %w", err)
	}
	rPath := filepath.Join(dir, "R.json")
	if err := os.WriteFile(rPath, r, 0o644); err != nil {
		return nil, err
	}
	others := ""
	if maxSize > 1 {
		others = fmt.Sprintf("\n[[bootstrap.hosts]]\nhost = %q\n", hostRange(name, 1, maxSize-1))
	}
	uri := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	conf := fmt.Sprintf(`[access]
allow-guest-user = true
allow-root-owner = true

[bootstrap]
curve_cert = %q

[[bootstrap.hosts]]
host = "%s-0"
bind = %q
connect = %q
%s
[resource]
path = %q
noverify = true
`, cert, name, uri, uri, others, rPath)
	if err := os.WriteFile(filepath.Join(dir, "conf", "broker.toml"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return in, nil
}

func hostRange(name string, from, to int) string {
	if from == to {
		return fmt.Sprintf("%s-%d", name, from)
	}
	return fmt.Sprintf("%s-[%d-%d]", name, from, to)
}

// start runs rank's broker for pod unless one runs for it already. A broker left from a pod
// that was replaced is stopped first.
func (in *instance) start(rank int, pod string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if b, ok := in.brokers[rank]; ok {
		if b.pod == pod && b.running() {
			return nil
		}
		b.stop()
		delete(in.brokers, rank)
	}
	if rank < 0 || rank >= in.maxSize {
		return fmt.Errorf("pod %s has completion index %d, outside the %d hosts of MiniCluster %s", pod, rank, in.maxSize, in.name)
	}
	run := filepath.Join(in.dir, "rank-"+strconv.Itoa(rank))
	args := []string{"broker", "-Shostname=" + in.name + "-" + strconv.Itoa(rank),
		"--config-path=" + filepath.Join(in.dir, "conf"),
		"-Sstatedir=" + filepath.Join(run, "state"),
		"-Stbon.fanout=256", "-Sbroker.quorum=1", "-Sbroker.rc2_none=1", "-Slog-stderr-level=6"}
	if rank == 0 {
		// Where this operator's wait.sh puts rank 0's socket, inside the pod's mount path.
		host, _ := in.layout.socket()
		args = append(args, "-Srundir="+filepath.Dir(host), "-Slocal-uri=local://"+host)
	} else {
		args = append(args, "-Srundir="+filepath.Join(run, "run"))
	}
	for _, d := range []string{filepath.Join(run, "state"), filepath.Join(run, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	logFile, err := os.OpenFile(filepath.Join(in.logDir, fmt.Sprintf("%s-broker-%d.log", in.name, rank)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(in.flux, args...)
	cmd.Env = append(os.Environ(), "FLUX_URI=")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so stopping it takes what it started; killed with the test
	// binary if that dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting rank %d's broker: %w", rank, err)
	}
	b := &broker{rank: rank, pod: pod, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(b.done)
	}()
	in.brokers[rank] = b
	return nil
}

// stopRank stops rank's broker if it runs for pod (or for any pod, when pod is "").
func (in *instance) stopRank(rank int, pod string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if b, ok := in.brokers[rank]; ok && (pod == "" || b.pod == pod) {
		b.stop()
		delete(in.brokers, rank)
	}
}

// stopAll stops every broker, the leader last.
func (in *instance) stopAll() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for rank, b := range in.brokers {
		if rank != 0 {
			b.stop()
		}
	}
	if b, ok := in.brokers[0]; ok {
		b.stop()
	}
	in.brokers = map[int]*broker{}
}

func (b *broker) running() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// stop ends the broker as a pod's deletion does: SIGTERM (the kubelet's), then SIGKILL
// after a grace period, to the broker's whole process group.
func (b *broker) stop() { localcluster.StopGroup(b.cmd.Process.Pid, b.done, 10*time.Second) }

// Flux runs flux on the host against rank 0's broker: Flux's own view, the tests' judge.
func (in *instance) Flux(ctx context.Context, args ...string) (string, error) {
	host, _ := in.layout.socket()
	cmd := exec.CommandContext(ctx, in.flux, args...)
	cmd.Env = append(os.Environ(), "FLUX_URI=local://"+host)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("flux %q: %v: %s", args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
