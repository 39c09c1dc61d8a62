package flux

import (
	"fmt"
	"slices"
	"time"
)

// assembleState builds a State from the three reads. They are separate snapshots, so a job
// may start between them; each part is taken as Flux reported it and never "corrected"
// from another.
func assembleState(observedAt time.Time, jobs []Job, status []statusRow, list resourceList) (State, error) {
	ranks, err := rankStates(status, list)
	if err != nil {
		return State{}, err
	}
	st := State{
		ObservedAt:   observedAt,
		Size:         int32(len(ranks)),
		CoresPerNode: coresPerNode(list),
		Counts:       countJobs(jobs),
		Jobs:         jobs,
		Ranks:        ranks,
		PerRank:      true,
		Nodes:        nodeCounts(int32(len(ranks)), list),
	}
	return st, nil
}

// rankStates merges the resource service's per-rank view (online, drain) with the
// scheduler's (allocated). Every rank must appear in flux resource status, and the ranks
// must be 0..N-1, so that Ranks[i] is rank i.
func rankStates(status []statusRow, list resourceList) ([]Rank, error) {
	byRank := map[int32]*Rank{}
	for _, row := range status {
		for _, r := range row.Ranks {
			rank, seen := byRank[r]
			if !seen {
				rank = &Rank{Rank: r, Online: row.Online}
				byRank[r] = rank
			}
			if rank.Online != row.Online {
				return nil, fmt.Errorf("flux resource status shows rank %d both online and offline", r)
			}
			if row.State != DrainDraining && row.State != DrainDrained {
				continue
			}
			if rank.Drain != "" && rank.Drain != row.State {
				return nil, fmt.Errorf("flux resource status shows rank %d both %s and %s", r, rank.Drain, row.State)
			}
			rank.Drain, rank.Reason = row.State, row.Reason
		}
	}
	for _, set := range []RankSet{list.Free.Ranks, list.Allocated.Ranks, list.Down.Ranks} {
		for _, r := range set {
			if _, ok := byRank[r]; !ok {
				return nil, fmt.Errorf("rank %d is in flux resource list but not in flux resource status", r)
			}
		}
	}
	if len(byRank) == 0 {
		return nil, fmt.Errorf("flux resource status lists no ranks")
	}
	ranks := make([]Rank, 0, len(byRank))
	for r := range int32(len(byRank)) {
		rank, ok := byRank[r]
		if !ok {
			return nil, fmt.Errorf("flux resource status lists %d ranks but not rank %d: ranks must be 0..%d", len(byRank), r, len(byRank)-1)
		}
		rank.Allocated = list.Allocated.Ranks.Contains(r)
		ranks = append(ranks, *rank)
	}
	return ranks, nil
}

// nodeCounts counts ranks in the scheduler's terms. Up ranks can run work (free or
// allocated, and not down); Free ranks run nothing at all; Allocated ranks run at least one
// job (a draining rank included); Down is every other rank, also those the scheduler does
// not know (without R in the configuration, ranks that never came up are not in its view).
func nodeCounts(size int32, list resourceList) NodeCounts {
	var up, free int32
	for r := range size {
		if list.Down.Ranks.Contains(r) {
			continue
		}
		allocated := list.Allocated.Ranks.Contains(r)
		if allocated || list.Free.Ranks.Contains(r) {
			up++
		}
		if !allocated && list.Free.Ranks.Contains(r) {
			free++
		}
	}
	return NodeCounts{Up: up, Free: free, Allocated: int32(len(list.Allocated.Ranks)), Down: size - up}
}

// coresPerNode derives one rank's cores. Down ranks are whole nodes, so the down line gives
// it directly. Otherwise free and allocated split the cores of the up ranks exactly between
// them (a partly used rank is in both lines with its free and its used cores), so their sum
// over their distinct ranks does. A draining rank is in both down and allocated, which is why
// the down line is preferred. Ranks of a MiniCluster are alike; for unlike ranks this is the
// floor of the mean.
func coresPerNode(list resourceList) int32 {
	if list.Down.NNodes > 0 {
		return list.Down.NCores / list.Down.NNodes
	}
	up := slices.Concat(list.Free.Ranks, list.Allocated.Ranks)
	slices.Sort(up)
	up = slices.Compact(up)
	if len(up) == 0 {
		return 0
	}
	return int32((int64(list.Free.NCores) + int64(list.Allocated.NCores)) / int64(len(up)))
}

// countJobs counts active jobs per state, held jobs apart.
func countJobs(jobs []Job) Counts {
	var c Counts
	for _, j := range jobs {
		if j.Held {
			c.Held++
			continue
		}
		switch j.State {
		case JobDepend:
			c.Depend++
		case JobPriority:
			c.Priority++
		case JobSched:
			c.Sched++
		case JobRun:
			c.Run++
		case JobCleanup:
			c.Cleanup++
		}
	}
	return c
}
