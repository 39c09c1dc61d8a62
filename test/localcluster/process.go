package localcluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is one control-plane binary started by the cluster, with its output in a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // exit status; read only after done is closed
}

// startProcess runs bin with args in dir. Each process gets its own process group so Stop can
// kill it together with anything it forked (kwok runs exec'd commands as children).
func startProcess(name, bin, dir, logPath string, env []string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports an error naming the binary if it is no longer running.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited early (%v); log tail:\n%s", p.name, p.err, p.logTail())
	default:
		return nil
	}
}

// stop asks the process group to terminate and kills it if it has not gone after a grace
// period; the cluster's data is throwaway, so there is nothing to flush.
func (p *process) stop() { StopGroup(p.cmd.Process.Pid, p.done, 5*time.Second) }

// StopGroup ends the process group of leader pid, started with Setpgid: SIGTERM, then SIGKILL
// once done is closed (the leader was waited for) or grace has passed, which also takes the
// children left in the group. It returns when done is closed.
func StopGroup(pid int, done <-chan struct{}, grace time.Duration) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-done
}

// logTail returns the last lines of the log for error messages.
func (p *process) logTail() string {
	const maxBytes = 4000
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.logPath, err)
	}
	if len(data) > maxBytes {
		data = data[len(data)-maxBytes:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return string(data)
}

// withLog adds the binary name and its log tail to a startup error.
func (p *process) withLog(err error) error {
	if exitErr := p.exited(); exitErr != nil {
		return errors.Join(err, exitErr)
	}
	return fmt.Errorf("%s: %w; log tail:\n%s", p.name, err, p.logTail())
}
