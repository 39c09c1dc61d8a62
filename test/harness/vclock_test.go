package harness

import (
	"testing"
	"time"
)

func TestVirtualClockJumpsForwardOnly(t *testing.T) {
	var v VirtualClock
	start := v.Now()
	v.Jump(time.Hour)
	if got := v.Since(start); got < time.Hour {
		t.Errorf("after Jump(1h), %s have passed, want at least 1h", got)
	}
	before := v.Now()
	v.Jump(-2 * time.Hour)
	if after := v.Now(); after.Before(before) {
		t.Errorf("Jump(-2h) moved virtual time back from %s to %s", before, after)
	}
	if real := time.Now(); v.Now().Sub(real) < time.Hour {
		t.Errorf("virtual time %s is less than 1h ahead of real time %s", v.Now(), real)
	}
}
