package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQueueDepth(t *testing.T) {
	fixture := makeInput(4, 6).ranks(6, 4).alloc(0, 1, 2).pending(3, 6, 7).obj().Flux
	cases := []struct {
		name       string
		perNode    int32
		fluxWanted bool
		flux       *FluxState
		want       outcome
	}{{
		name: "elastic-config fixture: 3 busy + 3 + 6, the 7-node job unsatisfiable", fluxWanted: true,
		flux: fixture,
		want: outcome{ok: true, unsatisfiable: []string{"J3"}, rec: Recommendation{Policy: "QueueDepth", Size: 12,
			Reason: "3 busy + 9 pending nodes (job sizes); 1 pending jobs larger than max size 6 ignored"}},
	}, {
		name: "no per-rank state: Flux's allocated count", fluxWanted: true,
		flux: &FluxState{Nodes: NodeCounts{Up: 4, Allocated: 2}, Pending: []PendingJob{{ID: "a", NNodes: 2}}},
		want: outcome{ok: true, rec: Recommendation{Policy: "QueueDepth", Size: 4,
			Reason: "2 busy + 2 pending nodes (job sizes)"}},
	}, {
		name: "jobs without a node count: cores over whole nodes, at least one", fluxWanted: true,
		flux: &FluxState{CoresPerNode: 2, Pending: []PendingJob{
			{ID: "a", NCores: 3}, {ID: "b", NCores: 1}, {ID: "c"}, {ID: "d", NCores: 4},
		}},
		want: outcome{ok: true, rec: Recommendation{Policy: "QueueDepth", Size: 6,
			Reason: "0 busy + 6 pending nodes (job sizes)"}},
	}, {
		name: "cores beyond the max make a job unsatisfiable", fluxWanted: true,
		flux: &FluxState{CoresPerNode: 2, Pending: []PendingJob{{ID: "big", NCores: 13}}},
		want: outcome{ok: true, unsatisfiable: []string{"big"}, rec: Recommendation{Policy: "QueueDepth", Size: 0,
			Reason: "0 busy + 0 pending nodes (job sizes); 1 pending jobs larger than max size 6 ignored"}},
	}, {
		name: "counted but not listed: one node each", fluxWanted: true,
		flux: &FluxState{Counts: QueueCounts{Depend: 1, Priority: 1, Sched: 3}, Pending: []PendingJob{{ID: "a", NNodes: 2}}},
		want: outcome{ok: true, rec: Recommendation{Policy: "QueueDepth", Size: 6,
			Reason: "0 busy + 6 pending nodes (job sizes)"}},
	}, {
		name: "pendingJobsPerNode 4: ceil(10/4) = 3", perNode: 4, fluxWanted: true,
		flux: &FluxState{Nodes: NodeCounts{Allocated: 2}, Counts: QueueCounts{Sched: 10}},
		want: outcome{ok: true, rec: Recommendation{Policy: "QueueDepth", Size: 5,
			Reason: "2 busy + 3 pending nodes (4 jobs per node)"}},
	}, {
		name: "pendingJobsPerNode leaves unsatisfiable jobs out", perNode: 2, fluxWanted: true,
		flux: fixture,
		want: outcome{ok: true, unsatisfiable: []string{"J3"}, rec: Recommendation{Policy: "QueueDepth", Size: 4,
			Reason: "3 busy + 1 pending nodes (2 jobs per node); 1 pending jobs larger than max size 6 ignored"}},
	}, {
		// The real operator: 2 busy + 2 pending read as 4 allocated while the job list still
		// showed the two it had placed as SCHED; 4, not 6.
		name: "ranks allocated ahead of the job list are not demand again", fluxWanted: true,
		flux: &FluxState{Nodes: NodeCounts{Allocated: 4}, AllocatedAhead: 2,
			Pending: []PendingJob{{ID: "c", NNodes: 1}, {ID: "d", NNodes: 1}}},
		want: outcome{ok: true, rec: Recommendation{Policy: "QueueDepth", Size: 4,
			Reason: "4 busy + 0 pending nodes (job sizes); 2 pending nodes already allocated left out"}},
	}, {
		name: "allocated ahead never takes the demand below 0", fluxWanted: true,
		flux: &FluxState{Nodes: NodeCounts{Allocated: 3}, AllocatedAhead: 3,
			Pending: []PendingJob{{ID: "c", NNodes: 1}}},
		want: outcome{ok: true, rec: Recommendation{Policy: "QueueDepth", Size: 3,
			Reason: "3 busy + 0 pending nodes (job sizes); 1 pending nodes already allocated left out"}},
	}, {
		name: "stale Flux state: missing", fluxWanted: true, flux: nil,
		want: outcome{missing: true},
	}, {
		name: "source None: nothing to say", fluxWanted: false, flux: fixture,
		want: outcome{},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &signals{hi: 6, fluxWanted: tc.fluxWanted, flux: tc.flux}
			got := queueDepth{pendingJobsPerNode: tc.perNode}.recommend(s)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("recommend (-want +got):\n%s", diff)
			}
		})
	}
}
