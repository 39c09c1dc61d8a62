package flux

import (
	"strings"
	"testing"
)

func TestCoresPerNode(t *testing.T) {
	tests := []struct {
		name string
		list resourceList
		want int32
	}{
		{name: "down ranks are whole nodes", want: 2, list: resourceList{
			Allocated: listRow{NNodes: 3, NCores: 6, Ranks: RankSet{0, 1, 2}},
			Down:      listRow{NNodes: 4, NCores: 8, Ranks: RankSet{2, 3, 4, 5}}}},
		// A one-core job on rank 3 of four 2-core ranks: rank 3 is in free with 1 core and in
		// allocated with 1 core.
		{name: "partly used rank is in free and allocated", want: 2, list: resourceList{
			Free:      listRow{NNodes: 1, NCores: 1, Ranks: RankSet{3}},
			Allocated: listRow{NNodes: 4, NCores: 7, Ranks: RankSet{0, 1, 2, 3}}}},
		{name: "all free", want: 2, list: resourceList{Free: listRow{NNodes: 4, NCores: 8, Ranks: RankSet{0, 1, 2, 3}}}},
		{name: "no ranks", want: 0, list: resourceList{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := coresPerNode(tt.list); got != tt.want {
				t.Errorf("coresPerNode(%+v) = %d, want %d", tt.list, got, tt.want)
			}
		})
	}
}

func TestRankStatesRejects(t *testing.T) {
	avail := func(online bool, ranks ...int32) statusRow {
		return statusRow{State: "avail", Online: online, Ranks: NewRankSet(ranks...)}
	}
	tests := []struct {
		name      string
		status    []statusRow
		list      resourceList
		wantInErr string
	}{
		{name: "no ranks", wantInErr: "lists no ranks"},
		{name: "hole in ranks", status: []statusRow{avail(true, 0, 1, 3)}, wantInErr: "not rank 2: ranks must be 0..2"},
		{name: "online and offline", status: []statusRow{avail(true, 0, 1), avail(false, 1)}, wantInErr: "rank 1 both online and offline"},
		{name: "draining and drained", status: []statusRow{avail(true, 0),
			{State: DrainDraining, Online: true, Ranks: RankSet{1}}, {State: DrainDrained, Online: true, Ranks: RankSet{1}}},
			wantInErr: "rank 1 both draining and drained"},
		{name: "scheduler knows a rank status does not", status: []statusRow{avail(true, 0)},
			list: resourceList{Down: listRow{NNodes: 1, NCores: 2, Ranks: RankSet{1}}}, wantInErr: "rank 1 is in flux resource list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rankStates(tt.status, tt.list)
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("rankStates() = %+v, %v; want an error containing %q", got, err, tt.wantInErr)
			}
		})
	}
}
