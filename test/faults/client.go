// Package faults wraps the parts fluxscale talks to so tests can make them fail on demand:
// a flux.Client (and flux.Watcher) that errors, times out, hangs until its caller gives up,
// fails on garbage output or is gone, and an HTTP proxy in front of the agent that can drop
// connections in the middle of a long-poll. They are test tools: nothing in production
// imports them.
package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Fault is what the wrapped calls do instead of reaching the real source.
type Fault string

// Faults a Client can inject.
const (
	// None passes every call through.
	None Fault = ""
	// Error fails at once with ErrInjected.
	Error Fault = "Error"
	// Timeout fails at once with an error wrapping context.DeadlineExceeded, as a source
	// that gave up on its own deadline does.
	Timeout Fault = "Timeout"
	// Hang blocks until the caller's context ends and returns its error: only the caller's
	// deadline (spec.flux.timeoutSeconds for the controller) bounds it.
	Hang Fault = "Hang"
	// Garbage fails with the error the flux CLI client returns when flux prints garbage.
	Garbage Fault = "Garbage"
	// Gone fails as a connection to a source that went away: connection refused.
	Gone Fault = "Gone"
)

// All lists every injectable fault, for table tests.
func All() []Fault { return []Fault{Error, Timeout, Hang, Garbage, Gone} }

// ErrInjected is the error the Error fault returns.
var ErrInjected = errors.New("faults: injected source error")

// Client wraps a flux.Client (and its flux.Watcher, when it has one) and injects the fault
// last set. It is safe for concurrent use; the zero fault passes through.
type Client struct {
	inner   flux.Client
	garbage error

	mu      sync.Mutex
	fault   Fault
	methods map[string]Fault // per-method faults, overriding fault
	calls   map[string]int
	faulted int
	// longestHang is the longest a Hang lasted before its caller gave up.
	longestHang time.Duration
	changed     chan struct{} // closed and replaced on every Set
}

var (
	_ flux.Client  = (*Client)(nil)
	_ flux.Watcher = (*Client)(nil)
)

// Wrap returns a Client passing calls to inner until a fault is set.
func Wrap(inner flux.Client) *Client {
	return &Client{inner: inner, garbage: GarbageError(), methods: map[string]Fault{}, calls: map[string]int{}, changed: make(chan struct{})}
}

// Set makes every later call (and every call now hanging in Watch) follow f.
func (c *Client) Set(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = f
	close(c.changed)
	c.changed = make(chan struct{})
}

// SetMethod makes later calls of one method ("State", "Watch", "Drain", "Undrain") follow
// f, whatever Set says; None passes that method through. ClearMethod undoes it.
func (c *Client) SetMethod(method string, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.methods[method] = f
}

// ClearMethod makes the method follow Set again.
func (c *Client) ClearMethod(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.methods, method)
}

// Fault returns the fault in force.
func (c *Client) Fault() Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fault
}

// Calls returns how many times method ("State", "Watch", "Drain", "Undrain") was called.
func (c *Client) Calls(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

// Faulted returns how many calls a fault answered.
func (c *Client) Faulted() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faulted
}

// LongestHang returns the longest a hung call waited for its caller to give up: with the
// controller, bounded by spec.flux.timeoutSeconds.
func (c *Client) LongestHang() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.longestHang
}

// State reads the inner client's state, or fails as the fault says.
func (c *Client) State(ctx context.Context) (flux.State, error) {
	if err := c.inject(ctx, "State"); err != nil {
		return flux.State{}, err
	}
	return c.inner.State(ctx)
}

// Drain drains through the inner client, or fails as the fault says.
func (c *Client) Drain(ctx context.Context, ranks flux.RankSet, reason string) error {
	if err := c.inject(ctx, "Drain"); err != nil {
		return err
	}
	return c.inner.Drain(ctx, ranks, reason)
}

// Undrain undrains through the inner client, or fails as the fault says.
func (c *Client) Undrain(ctx context.Context, ranks flux.RankSet) error {
	if err := c.inject(ctx, "Undrain"); err != nil {
		return err
	}
	return c.inner.Undrain(ctx, ranks)
}

// Watch waits on the inner watcher (or, without one, returns the inner state at once). A
// fault set while Watch waits ends the wait as that fault: a long-poll dropped mid-way.
func (c *Client) Watch(ctx context.Context, since uint64) (flux.State, error) {
	if err := c.inject(ctx, "Watch"); err != nil {
		return flux.State{}, err
	}
	w, ok := c.inner.(flux.Watcher)
	if !ok {
		return c.inner.State(ctx)
	}
	c.mu.Lock()
	changed := c.changed
	c.mu.Unlock()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-changed:
			cancel()
		case <-wctx.Done():
		}
	}()
	st, err := w.Watch(wctx, since)
	if ctx.Err() == nil && wctx.Err() != nil {
		// Set was called mid-wait: answer as the new fault would, or as an empty wait.
		if ferr := c.inject(ctx, "Watch"); ferr != nil {
			return flux.State{}, ferr
		}
		return c.inner.State(ctx)
	}
	return st, err
}

// inject counts the call and returns the fault's error, nil for None. Hang returns only when
// ctx ends.
func (c *Client) inject(ctx context.Context, method string) error {
	c.mu.Lock()
	c.calls[method]++
	f := c.fault
	if mf, ok := c.methods[method]; ok {
		f = mf
	}
	if f != None {
		c.faulted++
	}
	c.mu.Unlock()
	switch f {
	case None:
		return nil
	case Error:
		return fmt.Errorf("%s: %w", method, ErrInjected)
	case Timeout:
		return fmt.Errorf("%s: reading flux: %w", method, context.DeadlineExceeded)
	case Hang:
		start := time.Now()
		<-ctx.Done()
		c.mu.Lock()
		c.longestHang = max(c.longestHang, time.Since(start))
		c.mu.Unlock()
		return fmt.Errorf("%s: hung until the caller gave up: %w", method, ctx.Err())
	case Garbage:
		return fmt.Errorf("%s: %w", method, c.garbage)
	case Gone:
		return fmt.Errorf("%s: %w", method, refused())
	}
	return fmt.Errorf("%s: unknown fault %q", method, f)
}

// refused is the error a dial to a closed port returns.
func refused() error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}
