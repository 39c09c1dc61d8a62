package flux

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseResourceStatusFixtures parses every recorded output of our exact
// `flux resource status -n -o ...` command.
func TestParseResourceStatusFixtures(t *testing.T) {
	ours := slices.Concat([]string{"flux"}, statusArgs())
	row := func(state string, online bool, reason string, ranks ...int32) statusRow {
		return statusRow{State: state, Online: online, Ranks: NewRankSet(ranks...), Reason: reason}
	}
	const up, down = true, false
	tests := []struct {
		scenario, name string
		want           []statusRow
	}{
		{scenario: "idle", name: "resource_status_fmt_nohdr", want: []statusRow{row("avail", up, "", 0, 1, 2, 3)}},
		{scenario: "busy", name: "resource_status_fmt_nohdr", want: []statusRow{row("avail", up, "", 0, 1, 2, 3)}},
		{scenario: "drain", name: "02_draining_resource_status_fmt_nohdr", want: []statusRow{
			row("avail", up, "", 0, 1, 2), row("draining", up, "fluxscale: scale-down", 3)}},
		{scenario: "drain", name: "05_drained_resource_status_fmt_nohdr", want: []statusRow{
			row("avail", up, "", 0, 1, 2), row("drained", up, "fluxscale: scale-down (forced)", 3)}},
		{scenario: "drain", name: "07_undrained_resource_status_fmt_nohdr", want: []statusRow{row("avail", up, "", 0, 1, 2, 3)}},
		{scenario: "drain", name: "09_drain_2-3_resource_status_fmt_nohdr", want: []statusRow{
			row("avail", up, "", 0, 1),
			row("draining", up, "fluxscale: scale-down 2-3", 2),
			row("drained", up, "fluxscale: scale-down 2-3", 3)}},
		// "avail*": the brokers of ranks 4-5 are not up.
		{scenario: "elastic", name: "01_resource_status_fmt", want: []statusRow{
			row("avail", up, "", 0, 1, 2, 3), row("avail", down, "", 4, 5)}},
		{scenario: "elastic", name: "02_resource_status_fmt", want: []statusRow{
			row("avail", up, "", 0, 1, 2, 3), row("avail", down, "", 4, 5)}},
		{scenario: "elastic-config", name: "01_resource_status_fmt", want: []statusRow{
			row("avail", up, "", 0, 1, 2, 3), row("avail", down, "", 4, 5)}},
		{scenario: "elastic-config", name: "02_resource_status_fmt", want: []statusRow{
			row("avail", up, "", 0, 1, 2, 3), row("avail", down, "", 4, 5)}},
		{scenario: "elastic-config", name: "03_resource_status_fmt", want: []statusRow{
			row("avail", up, "", 0, 1), row("avail", down, "", 4, 5),
			row("draining", up, "fluxscale: scale-down", 2), row("drained", up, "fluxscale: scale-down", 3)}},
		{scenario: "elastic-config", name: "04_resource_status_fmt_after_job_end", want: []statusRow{
			row("avail", up, "", 0, 1), row("avail", down, "", 4, 5), row("drained", up, "fluxscale: scale-down", 2, 3)}},
		{scenario: "elastic-config", name: "05_resource_status_fmt", want: []statusRow{
			row("avail", up, "", 0, 1, 2, 3), row("avail", down, "", 4, 5)}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			out := recorded(t, loadScenario(t, tt.scenario), tt.name, ours)
			got, err := parseResourceStatus(out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseResourceStatus (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseResourceStatusEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []statusRow
	}{
		{name: "empty output", out: "", want: nil},
		{name: "trailing space trimmed away", out: "avail 2 0-1 h-[0-1]\n",
			want: []statusRow{{State: "avail", Online: true, Ranks: RankSet{0, 1}}}},
		{name: "offline drained rank", out: "drained* 1 5 h-5 node lost\n",
			want: []statusRow{{State: "drained", Online: false, Ranks: RankSet{5}, Reason: "node lost"}}},
		{name: "reason keeps inner and trailing spaces", out: "draining 1 2 h-2 a  b \n",
			want: []statusRow{{State: "draining", Online: true, Ranks: RankSet{2}, Reason: "a  b "}}},
		{name: "torpid and excluded ranks", out: "torpid 1 1 h-1 \nexclude 1 0 h-0 \n",
			want: []statusRow{{State: "torpid", Online: true, Ranks: RankSet{1}}, {State: "exclude", Online: true, Ranks: RankSet{0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResourceStatus([]byte(tt.out))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseResourceStatus(%q) (-want +got):\n%s", tt.out, diff)
			}
		})
	}
}

func TestParseResourceStatusRejects(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		wantInErr string
	}{
		// The default format (no -n, no -o) that a misconfigured command would print.
		{name: "default table", out: "       STATEUP NNODES NODELIST\n       avail ✔      4 vm,vm,vm,vm\n", wantInErr: `line 1 "       STATEUP NNODES NODELIST": unknown state ""`},
		{name: "unknown state", out: "lost 1 3 h-3 \n", wantInErr: `unknown state "lost"`},
		{name: "too few fields", out: "avail 4\n", wantInErr: "has 2 fields, want 5"},
		{name: "nnodes disagrees with ranks", out: "avail 3 0-3 h \n", wantInErr: `nnodes 3 but ranks "0-3" hold 4`},
		{name: "bad count", out: "avail four 0-3 h \n", wantInErr: `nnodes "four" is not a count`},
		{name: "reversed range", out: "avail 2 3-2 h \n", wantInErr: "runs backwards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResourceStatus([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("parseResourceStatus(%q) = %+v, %v; want an error containing %q", tt.out, got, err, tt.wantInErr)
			}
		})
	}
}
