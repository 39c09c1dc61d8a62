package flux

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseResourceListFixtures parses every recorded `flux resource list -n -o ...` output:
// our five-column format (elastic, elastic-config) and the same plus {ngpus} (idle, busy,
// drain).
func TestParseResourceListFixtures(t *testing.T) {
	ours := slices.Concat([]string{"flux"}, listArgs())
	row := func(nnodes, ncores int32, ranks ...int32) listRow {
		return listRow{NNodes: nnodes, NCores: ncores, Ranks: NewRankSet(ranks...)}
	}
	tests := []struct {
		scenario, name string
		argv           []string
		columns        []string
		want           resourceList
	}{
		{scenario: "elastic-config", name: "01_resource_list_fmt", argv: ours, columns: listColumns(),
			want: resourceList{Free: row(4, 8, 0, 1, 2, 3), Down: row(2, 4, 4, 5)}},
		{scenario: "elastic-config", name: "02_resource_list_fmt", argv: ours, columns: listColumns(),
			want: resourceList{Free: row(1, 2, 3), Allocated: row(3, 6, 0, 1, 2), Down: row(2, 4, 4, 5)}},
		// Rank 2 is draining: allocated and down at once.
		{scenario: "elastic-config", name: "03_resource_list_fmt", argv: ours, columns: listColumns(),
			want: resourceList{Allocated: row(3, 6, 0, 1, 2), Down: row(4, 8, 2, 3, 4, 5)}},
		// Without R in the configuration, ranks 4-5 that never came up are not in the list.
		{scenario: "elastic", name: "01_resource_list_fmt", argv: ours, columns: listColumns(),
			want: resourceList{Free: row(4, 8, 0, 1, 2, 3)}},
		{scenario: "elastic", name: "02_resource_list_fmt", argv: ours, columns: listColumns(),
			want: resourceList{Free: row(1, 2, 3), Allocated: row(3, 6, 0, 1, 2)}},
		{scenario: "idle", name: "resource_list_fmt_nohdr", argv: recordedListWithGPUs(), columns: listColumnsWithGPUs(),
			want: resourceList{Free: row(4, 8, 0, 1, 2, 3)}},
		{scenario: "busy", name: "resource_list_fmt_nohdr", argv: recordedListWithGPUs(), columns: listColumnsWithGPUs(),
			want: resourceList{Free: row(1, 2, 3), Allocated: row(3, 6, 0, 1, 2)}},
		{scenario: "drain", name: "02_draining_resource_list_fmt_nohdr", argv: recordedListWithGPUs(), columns: listColumnsWithGPUs(),
			want: resourceList{Allocated: row(4, 8, 0, 1, 2, 3), Down: row(1, 2, 3)}},
		{scenario: "drain", name: "05_drained_resource_list_fmt_nohdr", argv: recordedListWithGPUs(), columns: listColumnsWithGPUs(),
			want: resourceList{Allocated: row(3, 6, 0, 1, 2), Down: row(1, 2, 3)}},
		{scenario: "drain", name: "07_undrained_resource_list_fmt_nohdr", argv: recordedListWithGPUs(), columns: listColumnsWithGPUs(),
			want: resourceList{Free: row(1, 2, 3), Allocated: row(3, 6, 0, 1, 2)}},
		{scenario: "drain", name: "09_drain_2-3_resource_list_fmt_nohdr", argv: recordedListWithGPUs(), columns: listColumnsWithGPUs(),
			want: resourceList{Allocated: row(3, 6, 0, 1, 2), Down: row(2, 4, 2, 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			out := recorded(t, loadScenario(t, tt.scenario), tt.name, tt.argv)
			got, err := parseResourceList(out, tt.columns)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseResourceList (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseResourceListRejects(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		wantInErr string
	}{
		{name: "header line", out: "STATE NNODES NCORES RANKS NODELIST\nfree 1 2 3 h\nallocated 0 0  \ndown 0 0  \n", wantInErr: `line 1 "STATE NNODES NCORES RANKS NODELIST": unknown state "STATE"`},
		{name: "missing column", out: "free 1 2 3\nallocated 0 0  \ndown 0 0  \n", wantInErr: `line 1 "free 1 2 3": has 4 fields`},
		{name: "ngpus format read as ours", out: "free 4 8 0 0-3 vm,vm,vm,vm\nallocated 0 0 0  \ndown 0 0 0  \n", wantInErr: "has 6 fields, want 5"},
		{name: "nnodes disagrees with ranks", out: "free 2 4 3 h\nallocated 0 0  \ndown 0 0  \n", wantInErr: `nnodes 2 but ranks "3" hold 1`},
		{name: "negative cores", out: "free 1 -2 3 h\nallocated 0 0  \ndown 0 0  \n", wantInErr: `ncores "-2" is not a count`},
		{name: "bad ranks", out: "free 1 2 x h\nallocated 0 0  \ndown 0 0  \n", wantInErr: `"x" is not a rank`},
		{name: "state twice", out: "free 1 2 3 h\nfree 1 2 3 h\nallocated 0 0  \ndown 0 0  \n", wantInErr: `line 2 "free 1 2 3 h": state "free" appears twice`},
		{name: "missing state", out: "free 1 2 3 h\nallocated 0 0  \n", wantInErr: `no "down" line`},
		{name: "empty output", out: "", wantInErr: `no "free" line`},
		{name: "unknown state", out: "free 1 2 3 h\nallocated 0 0  \ndown 0 0  \nup 1 2 3 h\n", wantInErr: `unknown state "up"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResourceList([]byte(tt.out), listColumns())
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("parseResourceList(%q) = %+v, %v; want an error containing %q", tt.out, got, err, tt.wantInErr)
			}
		})
	}
}
