package flux

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// listRow is one line of `flux resource list`: the scheduler's resources in one state.
type listRow struct {
	NNodes int32
	NCores int32
	Ranks  RankSet
}

// resourceList is the scheduler's view. With the default states (free,allocated,down) Flux
// prints exactly one line per state, empty ones included. A partly used rank is in both Free
// and Allocated; a draining rank is in both Allocated and Down.
type resourceList struct {
	Free, Allocated, Down listRow
}

// parseResourceList reads `flux resource list -n -o FORMAT` output whose format has the
// given space-separated columns (state, nnodes, ncores and ranks are required; other columns
// such as nodelist or ngpus are checked for presence only).
func parseResourceList(out []byte, columns []string) (resourceList, error) {
	col := map[string]int{}
	for i, c := range columns {
		col[c] = i
	}
	for _, need := range []string{"state", "nnodes", "ncores", "ranks"} {
		if _, ok := col[need]; !ok {
			return resourceList{}, fmt.Errorf("resource list format lacks {%s}", need)
		}
	}
	var list resourceList
	seen := map[string]bool{}
	for n, line := range outputLines(out) {
		fields := strings.Split(line, " ")
		if len(fields) != len(columns) {
			return resourceList{}, lineError(n, line, fmt.Errorf("has %d fields, want %d (%s)", len(fields), len(columns), strings.Join(columns, " ")))
		}
		state := fields[col["state"]]
		var dst *listRow
		switch state {
		case "free":
			dst = &list.Free
		case "allocated":
			dst = &list.Allocated
		case "down":
			dst = &list.Down
		default:
			return resourceList{}, lineError(n, line, fmt.Errorf("unknown state %q (want free, allocated or down)", state))
		}
		if seen[state] {
			return resourceList{}, lineError(n, line, fmt.Errorf("state %q appears twice", state))
		}
		seen[state] = true
		row, err := parseListRow(fields, col)
		if err != nil {
			return resourceList{}, lineError(n, line, err)
		}
		*dst = row
	}
	for _, state := range []string{"free", "allocated", "down"} {
		if !seen[state] {
			return resourceList{}, fmt.Errorf("no %q line in resource list output %q", state, truncate(string(out)))
		}
	}
	return list, nil
}

func parseListRow(fields []string, col map[string]int) (listRow, error) {
	nnodes, err := parseCount(fields[col["nnodes"]], "nnodes")
	if err != nil {
		return listRow{}, err
	}
	ncores, err := parseCount(fields[col["ncores"]], "ncores")
	if err != nil {
		return listRow{}, err
	}
	ranks, err := ParseRankSet(fields[col["ranks"]])
	if err != nil {
		return listRow{}, err
	}
	if int(nnodes) != len(ranks) {
		return listRow{}, fmt.Errorf("nnodes %d but ranks %q hold %d", nnodes, fields[col["ranks"]], len(ranks))
	}
	return listRow{NNodes: nnodes, NCores: ncores, Ranks: ranks}, nil
}

// parseCount reads a non-negative count that fits an int32.
func parseCount(s, name string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s %q is not a count", name, s)
	}
	return int32(n), nil
}

// outputLines splits command output into lines; a final newline does not make an empty
// line, and empty output has no lines.
func outputLines(out []byte) []string {
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func lineError(n int, line string, err error) error {
	return fmt.Errorf("line %d %q: %w", n+1, truncate(line), err)
}

// truncate bounds text quoted in errors.
func truncate(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
