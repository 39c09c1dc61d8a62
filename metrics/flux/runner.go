package flux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
)

// MaxOutputBytes bounds what a Runner keeps of one command's stdout or stderr. The largest
// output we read is `flux jobs -c 0 --json` (about 700 bytes per active job, and -c 0 lifts
// flux jobs' default limit of 1,000): 64 MiB holds some 90,000 active jobs. A runaway
// command must not exhaust the controller's memory.
const MaxOutputBytes = 64 << 20

// Result is what one command printed and how it exited.
type Result struct {
	Stdout []byte
	Stderr []byte
	// ExitCode is the command's exit status (0: success).
	ExitCode int
}

// Runner runs one command given as argv (never through a shell). It returns an error only
// when the command could not be run or its output could not be read completely; a command
// that ran and exited non-zero is a Result with that ExitCode and a nil error.
type Runner interface {
	Run(ctx context.Context, argv []string) (Result, error)
}

// LocalRunner runs commands on this machine: the agent, beside the lead broker.
type LocalRunner struct {
	// Env, when not nil, is the whole environment of the command (KEY=value); nil inherits
	// this process's environment.
	Env []string
}

var _ Runner = LocalRunner{}

// Run starts argv[0] (looked up in PATH) with the other elements as its arguments.
func (r LocalRunner) Run(ctx context.Context, argv []string) (Result, error) {
	if len(argv) == 0 {
		return Result{}, errors.New("no command to run")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = r.Env
	stdout, stderr := newCappedBuffer(MaxOutputBytes), newCappedBuffer(MaxOutputBytes)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return Result{}, fmt.Errorf("running %q: %w", argv, ctxErr)
	}
	if overflow := errors.Join(stdout.overflow(), stderr.overflow()); overflow != nil {
		return Result{}, fmt.Errorf("running %q: %w", argv, overflow)
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.Exited():
		res.ExitCode = exitErr.ExitCode()
	case err != nil:
		return Result{}, fmt.Errorf("running %q: %w", argv, err)
	}
	return res, nil
}

// cappedBuffer keeps at most limit bytes and fails the write that would exceed it, so the
// command sees a broken pipe instead of us buffering without bound. It does not embed
// bytes.Buffer: io.Copy would use the embedded ReadFrom and bypass the limit.
//
// It is safe for concurrent use: client-go's exec streams copy into it from goroutines of
// their own, which may still be writing when a canceled stream returns.
type cappedBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	limit    int
	exceeded bool
}

func newCappedBuffer(limit int) *cappedBuffer { return &cappedBuffer{limit: limit} }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len()+len(p) > b.limit {
		b.exceeded = true
		return 0, b.overflowLocked()
	}
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written so far.
func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *cappedBuffer) overflow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.overflowLocked()
}

func (b *cappedBuffer) overflowLocked() error {
	if !b.exceeded {
		return nil
	}
	return fmt.Errorf("output exceeds %d bytes", b.limit)
}
