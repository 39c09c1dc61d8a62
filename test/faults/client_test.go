package faults

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

func newSimForTest(t *testing.T) *simulated.Cluster {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: time.Unix(0, 0), MaxSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Resize(2); err != nil {
		t.Fatal(err)
	}
	return sim
}

func TestClientFaults(t *testing.T) {
	tests := []struct {
		fault Fault
		is    func(error) bool
	}{
		{fault: Error, is: func(err error) bool { return errors.Is(err, ErrInjected) }},
		{fault: Timeout, is: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{fault: Hang, is: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{fault: Garbage, is: func(err error) bool { return err != nil && !errors.Is(err, ErrInjected) }},
		{fault: Gone, is: func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			c := Wrap(newSimForTest(t))
			if _, err := c.State(t.Context()); err != nil {
				t.Fatalf("State before the fault: %v", err)
			}
			c.Set(tt.fault)
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, stateErr := c.State(ctx)
			drainErr := c.Drain(ctx, flux.NewRankSet(1), "test")
			undrainErr := c.Undrain(ctx, flux.NewRankSet(1))
			_, watchErr := c.Watch(ctx, 0)
			for name, err := range map[string]error{"State": stateErr, "Drain": drainErr, "Undrain": undrainErr, "Watch": watchErr} {
				if !tt.is(err) {
					t.Errorf("%s under %s: error %v, not of the fault's kind", name, tt.fault, err)
				}
			}
			if got := c.Faulted(); got != 4 {
				t.Errorf("Faulted() = %d, want 4", got)
			}
			c.Set(None)
			if _, err := c.State(t.Context()); err != nil {
				t.Errorf("State after the fault cleared: %v", err)
			}
		})
	}
}

func TestGarbageErrorComesFromTheParser(t *testing.T) {
	err := GarbageError()
	if err == nil || err.Error() == "faults: the flux CLI client accepted garbage output as state" {
		t.Fatalf("GarbageError() = %v, want the CLI client's parse error", err)
	}
}

// A fault set while Watch waits ends the wait with that fault, as a dropped long-poll does.
func TestWatchCutByFault(t *testing.T) {
	sim := newSimForTest(t)
	c := Wrap(sim)
	st, err := c.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := c.Watch(t.Context(), st.Version)
		got <- err
	}()
	// Set until the watch answers: the goroutine may not have started waiting yet.
	deadline := time.After(10 * time.Second)
	for {
		c.Set(Gone)
		select {
		case err := <-got:
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("Watch cut by Gone: %v, want connection refused", err)
			}
			return
		case <-deadline:
			t.Fatal("Watch did not return within 10s of the fault")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestSetMethodOverridesOneMethod(t *testing.T) {
	c := Wrap(newSimForTest(t))
	c.SetMethod("Drain", Error)
	if _, err := c.State(t.Context()); err != nil {
		t.Errorf("State with only Drain faulted: %v", err)
	}
	if err := c.Drain(t.Context(), flux.NewRankSet(1), "test"); !errors.Is(err, ErrInjected) {
		t.Errorf("Drain faulted with Error: %v", err)
	}
	c.ClearMethod("Drain")
	if err := c.Drain(t.Context(), flux.NewRankSet(1), "test"); err != nil {
		t.Errorf("Drain after ClearMethod: %v", err)
	}
}
