package simulated

// IdleSeconds splits the provisioned node-seconds no job used by why the rank was not
// busy. Each idle rank-second lands in exactly one field, checked in this order, so the
// fields sum to ProvisionedNodeSeconds - BusyNodeSeconds.
type IdleSeconds struct {
	// Booting ranks were added by a resize (or resumed) and are not online yet.
	Booting float64 `json:"booting"`
	// Draining ranks are idle and drained with nothing busy above them: kept only until the
	// shrink that removes them. A drained rank under a busy one counts as BelowBusy, since
	// that job, not the drain, keeps it.
	Draining float64 `json:"draining"`
	// HeldForPending ranks are idle while a job the cluster could run waits: the head job
	// needs more ranks than are free (or its reservation keeps them).
	HeldForPending float64 `json:"heldForPending"`
	// BelowBusy ranks are idle (drained or not) under a busy higher rank while no job
	// waits: an Indexed Job only drops its highest indexes, so they cannot be given back
	// while that job runs.
	BelowBusy float64 `json:"belowBusy"`
	// Releasable ranks are idle with nothing busy above them and no job waiting: a shrink
	// could drop them now; a scaler keeps them through its scale-down window.
	Releasable float64 `json:"releasable"`
}

// Total is the sum of the fields.
func (s IdleSeconds) Total() float64 {
	return s.Booting + s.Draining + s.HeldForPending + s.BelowBusy + s.Releasable
}

// idleCounts is how many ranks are in each IdleSeconds class at one instant.
type idleCounts struct {
	booting, draining, held, belowBusy, releasable int32
}

// classifyIdle counts the idle ranks of each class in the current state. It runs once per
// state change (bump), and advanceTo integrates the counts, so the cost is one rank scan per
// event rather than per interval.
func (c *Cluster) classifyIdle() idleCounts {
	var n idleCounts
	top := int32(-1)
	for i := c.size - 1; i >= 0; i-- {
		if c.ranks[i].job != noJob {
			top = i
			break
		}
	}
	for i, r := range c.ranks[:c.size] {
		switch {
		case r.job != noJob || r.suspended:
		case r.booting():
			n.booting++
		case r.drained && int32(i) < top:
			n.belowBusy++
		case r.drained:
			n.draining++
		case c.pendingNodes > 0:
			n.held++
		case int32(i) < top:
			n.belowBusy++
		default:
			n.releasable++
		}
	}
	return n
}

// addIdle integrates the counts over dt seconds.
func (s *IdleSeconds) addIdle(n idleCounts, dt float64) {
	s.Booting += float64(n.booting) * dt
	s.Draining += float64(n.draining) * dt
	s.HeldForPending += float64(n.held) * dt
	s.BelowBusy += float64(n.belowBusy) * dt
	s.Releasable += float64(n.releasable) * dt
}
