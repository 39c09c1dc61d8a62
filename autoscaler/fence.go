package autoscaler

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// fence records that this pass drained or undrained ranks: until Flux state observed after
// now arrives, no shrink (item 4 of issue 19: an agent serves a cached snapshot, and one
// taken before an undrain shows as idle ranks Flux may just have placed jobs on). A drain
// gives its reason and ranks, so that a streamed state can prove it came after it
// (source.Fence.ProvenBy); an undrain gives none.
func (p *pass) fence(o *outcome, reason string, ranks flux.RankSet) {
	var version uint64
	if o.flux.state != nil {
		version = o.flux.state.Version
	}
	p.r.memory.SetFence(p.key, source.Fence{At: p.r.clock.Now(), Version: version, Reason: reason, Ranks: ranks})
}

// fresherThanFence reports whether this pass's Flux state was observed after the policy's last
// drain or undrain, which a Drain-mode shrink needs. With no drain or undrain on record in
// this process there is nothing to fence. A read of this pass proves it by its time. A
// streamed state cannot (it is stamped when its line arrived, and the program may have read
// it before the drain: delivered.go); it proves it by what it shows (Fence.ProvenBy), and
// only if the scheduler had taken in every drain it shows (schedulerCaughtUp).
func (p *pass) fresherThanFence(o *outcome, spec *v1alpha1.ScalingPolicySpec) bool {
	if spec.ScaleDown.Mode != "" && spec.ScaleDown.Mode != v1alpha1.ScaleDownDrain {
		return true
	}
	st := o.flux.state
	f, fenced := p.r.memory.Fence(p.key)
	if p.streamed {
		return o.flux.fresh && st != nil && schedulerCaughtUp(st) && (!fenced || f.ProvenBy(*st))
	}
	if !fenced {
		return true
	}
	return o.flux.fresh && st != nil && f.After(*st)
}

// schedulerCaughtUp reports whether st has the scheduler's own view and every rank it shows
// drained is down in it. A rank can show drained before the scheduler knows (Flux shows the
// drain when it takes the request, and tells the scheduler after its eventlog commit); the
// scheduler may place a job there until it does, and the allocations in st would not show
// that job.
func schedulerCaughtUp(st *flux.State) bool {
	if !st.SchedulerView || !st.PerRank {
		return false
	}
	for _, rk := range st.Ranks {
		if rk.Drain != "" && !rk.SchedulerDown {
			return false
		}
	}
	return true
}

// drainReason is the reason a drain to size gives Flux: it ends in a marker no other drain
// carries, which a state shows exactly while the ranks stay drained by this drain.
func drainReason(size int32) string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics rather than return short)
	return fmt.Sprintf("fluxscale: scale-down to %d (drain %s)", size, hex.EncodeToString(b[:]))
}

// observedAt is when this pass's Flux state was observed, for messages.
func observedAt(o *outcome) string {
	if o.flux.state == nil {
		return "never"
	}
	return o.flux.state.ObservedAt.UTC().Format(time.RFC3339Nano)
}
