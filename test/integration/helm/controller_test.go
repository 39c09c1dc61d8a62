package helm

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// buildController builds the controller binary from this repository.
func buildController(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fluxscale")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/fluxscale/fluxscale/cmd/fluxscale")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/fluxscale: %v\n%s", err, out)
	}
	return bin
}

// controllerProc is the controller binary running against the local cluster.
type controllerProc struct {
	cmd      *exec.Cmd
	logPath  string
	metrics  string // http://host:port/metrics
	hintsURL string // http://host:port, "" when the chart disabled hints
	done     chan struct{}
}

// podEnv is what the kubelet gives the container's env as this process would run in a pod:
// the downward API fields the chart uses, with this machine's address as the pod IP.
func podEnv(t *testing.T, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, v := range c.Env {
		switch {
		case v.ValueFrom == nil:
			env[v.Name] = v.Value
		case v.ValueFrom.FieldRef != nil && v.ValueFrom.FieldRef.FieldPath == "status.podIP":
			env[v.Name] = ctrltest.HostIP(t)
		case v.ValueFrom.FieldRef != nil && v.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env[v.Name] = "fluxscale-controller-test"
		default:
			t.Fatalf("env %s of the chart's container: this test does not know how to fill %+v", v.Name, v.ValueFrom)
		}
	}
	return env
}

// expand replaces $(NAME) in arg by env[NAME], as the kubelet does with container args; a
// name env lacks stays as written, as there.
func expand(arg string, env map[string]string) string {
	for name, v := range env {
		arg = strings.ReplaceAll(arg, "$("+name+")", v)
	}
	return arg
}

// startController runs bin with the container args of the chart's Deployment (its $(VAR)s
// expanded from the container's env), the listen addresses moved to free loopback ports
// (several engineers share this machine), and kubeconfig. It is stopped in t.Cleanup, also
// when the test fails.
func startController(t *testing.T, bin string, c corev1.Container, kubeconfig string) *controllerProc {
	t.Helper()
	p := &controllerProc{logPath: filepath.Join(t.TempDir(), "controller.log"), done: make(chan struct{})}
	env := podEnv(t, c)
	var args []string
	for _, a := range c.Args {
		a = expand(a, env)
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "-metrics-bind-address":
			addr := freeAddr(t)
			p.metrics = "http://" + addr + "/metrics"
			a = name + "=" + addr
		case "-health-probe-bind-address":
			a = name + "=" + freeAddr(t)
		case "-hint-bind-address":
			if !strings.HasSuffix(a, "=0") {
				addr := freeAddr(t)
				p.hintsURL = "http://" + addr
				a = name + "=" + addr
			}
		}
		args = append(args, a)
	}
	args = append(args, "-kubeconfig="+kubeconfig)
	logFile, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting the controller: %v", err)
	}
	t.Logf("$ fluxscale %s", strings.Join(args, " "))
	go func() {
		_ = p.cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- controller log:\n%s", p.logs())
		}
	})
	return p
}

// stop ends the controller (SIGTERM, then SIGKILL after 10 s) and waits for it. Safe to call
// twice.
func (p *controllerProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *controllerProc) logs() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.logPath, err)
	}
	return string(b)
}

// scrape returns the controller's /metrics text.
func (p *controllerProc) scrape(t *testing.T) string {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("the controller exited; log:\n%s", p.logs())
	default:
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(p.metrics)
	if err != nil {
		t.Fatalf("scraping %s: %v", p.metrics, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: status %d, %v", p.metrics, resp.StatusCode, err)
	}
	return string(b)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
