package signals

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

func TestFluxInput(t *testing.T) {
	tests := []struct {
		name string
		in   flux.State
		want *policy.FluxState
	}{{
		// The fixtures' elastic-config state 03: ranks 2 draining, 3 drained, 4-5 offline.
		name: "per-rank state from the CLI",
		in: flux.State{
			Size: 6, CoresPerNode: 2, PerRank: true,
			Counts: flux.Counts{Sched: 3, Run: 2},
			Jobs: []flux.Job{
				{ID: "ƒ3mF5Nej", State: flux.JobSched, NNodes: 3, NTasks: 3},
				{ID: "ƒ3qFqRts", State: flux.JobSched, NNodes: 6, NTasks: 6},
				{ID: "ƒ4", State: flux.JobDepend, NCores: 4},
				{ID: "ƒ3FEZuou", State: flux.JobRun, NNodes: 1, NCores: 2, Ranks: flux.NewRankSet(2)},
				{ID: "ƒ3AQNFYj", State: flux.JobRun, NNodes: 2, NCores: 4, Ranks: flux.NewRankSet(0, 1)},
			},
			Ranks: []flux.Rank{
				{Rank: 0, Online: true, Allocated: true},
				{Rank: 1, Online: true, Allocated: true},
				{Rank: 2, Online: true, Allocated: true, Drain: flux.DrainDraining, Reason: "x"},
				{Rank: 3, Online: true, Drain: flux.DrainDrained},
				{Rank: 4}, {Rank: 5},
			},
			Nodes: flux.NodeCounts{Up: 2, Allocated: 3, Down: 4},
		},
		want: &policy.FluxState{
			Counts: policy.QueueCounts{Sched: 3, Run: 2},
			Pending: []policy.PendingJob{
				{ID: "ƒ3mF5Nej", NNodes: 3}, {ID: "ƒ3qFqRts", NNodes: 6}, {ID: "ƒ4", NCores: 4},
			},
			Ranks: []policy.Rank{
				{Rank: 0, Up: true, Allocated: true}, {Rank: 1, Up: true, Allocated: true},
				{Rank: 2, Up: true, Allocated: true, Drained: true}, {Rank: 3, Up: true, Drained: true},
				{Rank: 4}, {Rank: 5},
			},
			Nodes:        policy.NodeCounts{Up: 2, Allocated: 3},
			CoresPerNode: 2,
		},
	}, {
		// The scheduler placed ƒB on rank 1 and the job list still shows it SCHED: rank 1 is
		// allocated ahead of the list.
		name: "ranks allocated ahead of the job list",
		in: flux.State{
			PerRank: true, Counts: flux.Counts{Sched: 2, Run: 1},
			Jobs: []flux.Job{
				{ID: "ƒB", State: flux.JobSched, NNodes: 1},
				{ID: "ƒC", State: flux.JobSched, NNodes: 1},
				{ID: "ƒA", State: flux.JobRun, NNodes: 1, Ranks: flux.NewRankSet(0)},
			},
			Ranks: []flux.Rank{{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true}},
		},
		want: &policy.FluxState{
			Counts:         policy.QueueCounts{Sched: 2, Run: 1},
			Pending:        []policy.PendingJob{{ID: "ƒB", NNodes: 1}, {ID: "ƒC", NNodes: 1}},
			Ranks:          []policy.Rank{{Rank: 0, Up: true, Allocated: true}, {Rank: 1, Up: true, Allocated: true}},
			AllocatedAhead: 1,
		},
	}, {
		// A running job the list does not name (Counts from stats, the list cut) could hold
		// rank 1: nothing is taken off the demand.
		name: "no allocated-ahead count from a partial job list",
		in: flux.State{
			PerRank: true, Counts: flux.Counts{Sched: 1, Run: 2},
			Jobs: []flux.Job{
				{ID: "ƒB", State: flux.JobSched, NNodes: 1},
				{ID: "ƒA", State: flux.JobRun, NNodes: 1, Ranks: flux.NewRankSet(0)},
			},
			Ranks: []flux.Rank{{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true}},
		},
		want: &policy.FluxState{
			Counts:  policy.QueueCounts{Sched: 1, Run: 2},
			Pending: []policy.PendingJob{{ID: "ƒB", NNodes: 1}},
			Ranks:   []policy.Rank{{Rank: 0, Up: true, Allocated: true}, {Rank: 1, Up: true, Allocated: true}},
		},
	}, {
		// A held job (SCHED, priority 0) is in neither the pending list nor Sched, only in Held.
		name: "held jobs are not demand",
		in: flux.State{
			Counts: flux.Counts{Sched: 1, Held: 2},
			Jobs: []flux.Job{
				{ID: "ƒH1", State: flux.JobSched, NNodes: 4, Held: true},
				{ID: "ƒP", State: flux.JobSched, NNodes: 1},
				{ID: "ƒH2", State: flux.JobSched, NCores: 8, Held: true},
			},
		},
		want: &policy.FluxState{
			Counts:  policy.QueueCounts{Sched: 1, Held: 2},
			Pending: []policy.PendingJob{{ID: "ƒP", NNodes: 1}},
		},
	}, {
		name: "counts-only source has no ranks",
		in: flux.State{
			Counts: flux.Counts{Sched: 7, Run: 2},
			Nodes:  flux.NodeCounts{Up: 4, Free: 1, Allocated: 3},
		},
		want: &policy.FluxState{
			Counts: policy.QueueCounts{Sched: 7, Run: 2},
			Nodes:  policy.NodeCounts{Up: 4, Free: 1, Allocated: 3},
		},
	}, {
		name: "per-rank source with no ranks yet still says per-rank",
		in:   flux.State{PerRank: true},
		want: &policy.FluxState{Ranks: []policy.Rank{}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, FluxInput(tc.in)); diff != "" {
				t.Errorf("FluxInput (-want +got):\n%s", diff)
			}
		})
	}
}
