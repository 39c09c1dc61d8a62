// Package liveflux tests fluxscale's Flux reader against live flux-core instances: each
// scenario compares the State the CLI client reads with what flux itself prints, read
// through different commands (per-state resource filters, `flux jobs -o`).
package liveflux

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// view is what Flux prints, reduced to what a State must agree with.
type view struct {
	Size      int32
	Offline   flux.RankSet
	Draining  flux.RankSet
	Drained   flux.RankSet
	Allocated flux.RankSet
	Free      flux.RankSet
	Counts    flux.Counts
	JobIDs    []string
}

// fluxView reads the instance through flux's own filters, not the formats the client uses.
func fluxView(t *testing.T, in *liveflux.Instance) view {
	t.Helper()
	ranks := func(args ...string) flux.RankSet {
		out := strings.TrimSpace(in.MustRun(args...))
		if out == "" {
			return nil
		}
		var all flux.RankSet
		for _, line := range strings.Split(out, "\n") {
			s, err := flux.ParseRankSet(strings.TrimSpace(line))
			if err != nil {
				t.Fatalf("flux %v printed %q: %v", args, out, err)
			}
			all = append(all, s...)
		}
		return flux.NewRankSet(all...)
	}
	v := view{
		Offline:   ranks("resource", "status", "-s", "offline", "-n", "-o", "{ranks}"),
		Draining:  ranks("resource", "status", "-s", "draining", "-n", "-o", "{ranks}"),
		Drained:   ranks("resource", "status", "-s", "drained", "-n", "-o", "{ranks}"),
		Allocated: ranks("resource", "list", "-s", "allocated", "-n", "-o", "{ranks}"),
		Free:      ranks("resource", "list", "-s", "free", "-n", "-o", "{ranks}"),
	}
	all := ranks("resource", "status", "-n", "-o", "{ranks}")
	v.Size = int32(len(all))
	// Free in the scheduler's sense of NodeCounts: up and running nothing.
	v.Free = minus(v.Free, v.Allocated)
	for _, line := range strings.Split(strings.TrimSpace(in.MustRun("jobs", "-A", "-c", "0", "-n", "-o", "{id.f58} {state} {priority}")), "\n") {
		if line == "" {
			continue
		}
		id, rest, _ := strings.Cut(line, " ")
		state, priority, _ := strings.Cut(rest, " ")
		v.JobIDs = append(v.JobIDs, id)
		// A held job (urgency hold) sits in SCHED with priority 0: Flux's scheduler gets no
		// request for it (flux queue status -v), so it is not demand.
		if state == flux.JobSched && priority == "0" {
			v.Counts.Held++
			continue
		}
		switch state {
		case flux.JobDepend:
			v.Counts.Depend++
		case flux.JobPriority:
			v.Counts.Priority++
		case flux.JobSched:
			v.Counts.Sched++
		case flux.JobRun:
			v.Counts.Run++
		case flux.JobCleanup:
			v.Counts.Cleanup++
		}
	}
	return v
}

func minus(a, b flux.RankSet) flux.RankSet {
	var out []int32
	for _, r := range a {
		if !b.Contains(r) {
			out = append(out, r)
		}
	}
	return flux.NewRankSet(out...)
}

// stateView reduces a State to the same fields.
func stateView(st flux.State) view {
	v := view{Size: st.Size, Counts: st.Counts}
	var offline, draining, drained, allocated, free []int32
	for _, r := range st.Ranks {
		if !r.Online {
			offline = append(offline, r.Rank)
		}
		switch r.Drain {
		case flux.DrainDraining:
			draining = append(draining, r.Rank)
		case flux.DrainDrained:
			drained = append(drained, r.Rank)
		}
		if r.Allocated {
			allocated = append(allocated, r.Rank)
		} else if r.Online && r.Drain == "" {
			free = append(free, r.Rank)
		}
	}
	v.Offline, v.Draining, v.Drained = flux.NewRankSet(offline...), flux.NewRankSet(draining...), flux.NewRankSet(drained...)
	v.Allocated, v.Free = flux.NewRankSet(allocated...), flux.NewRankSet(free...)
	for _, j := range st.Jobs {
		v.JobIDs = append(v.JobIDs, j.ID)
	}
	return v
}

// client is the CLI client as the agent runs it: flux on this machine, FLUX_URI set.
func client(in *liveflux.Instance) *flux.CLI {
	return flux.NewCLI(flux.LocalRunner{Env: in.Env()}, flux.CLIOptions{Command: []string{in.Flux()}})
}

// readers are the two ways fluxscale reads State: three CLIs, or one flux python program.
func readers(in *liveflux.Instance) map[string]flux.Client {
	opts := flux.CLIOptions{Command: []string{in.Flux()}}
	runner := flux.LocalRunner{Env: in.Env()}
	return map[string]flux.Client{"cli": flux.NewCLI(runner, opts), "python": flux.NewPython(runner, opts)}
}

// readEqual reads the State with each reader and fails unless it agrees with Flux's own
// view, field by field; it logs the row of the closing note's table. It returns the CLI
// reader's State.
func readEqual(t *testing.T, in *liveflux.Instance, scenario string) flux.State {
	t.Helper()
	var cli flux.State
	for name, c := range readers(in) {
		st := readEqualWith(t, in, c, scenario+" ("+name+")")
		if name == "cli" {
			cli = st
		}
	}
	return cli
}

func readEqualWith(t *testing.T, in *liveflux.Instance, c flux.Client, scenario string) flux.State {
	t.Helper()
	// Flux can change between the two reads (a job starts); retry a few times for a quiet
	// moment, which every scenario here reaches.
	var diff string
	for range 20 {
		st, err := c.State(t.Context())
		if err != nil {
			t.Fatalf("%s: State: %v", scenario, err)
		}
		want := fluxView(t, in)
		diff = cmp.Diff(want, stateView(st))
		if diff == "" {
			t.Logf("ROW %s | flux: size %d offline %q draining %q drained %q allocated %q free %q counts %+v | fluxscale equal",
				scenario, want.Size, want.Offline, want.Draining, want.Drained, want.Allocated, want.Free, want.Counts)
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: State differs from what flux prints (-flux +fluxscale):\n%s", scenario, diff)
	return flux.State{}
}
