package flux

import (
	"fmt"
	"strings"
)

// statusRow is one line of `flux resource status`: ranks sharing a state, an online status
// and (for drained ranks) a reason.
type statusRow struct {
	// State is the state without the offline marker: avail, exclude, draining, drained,
	// torpid, housekeeping or allocated.
	State string
	// Online is false when Flux printed the state with a trailing "*" (broker not up).
	Online bool
	Ranks  RankSet
	Reason string
}

// isStatusState reports whether s is a line state flux resource status prints (flux-core
// 0.88 `-s help` lists these plus the filters all, online, offline and drain, which are not
// line states).
func isStatusState(s string) bool {
	switch s {
	case "avail", "exclude", "draining", "drained", "torpid", "housekeeping", "allocated":
		return true
	}
	return false
}

// parseResourceStatus reads `flux resource status -n -o StatusFormat` output.
func parseResourceStatus(out []byte) ([]statusRow, error) {
	var rows []statusRow
	for n, line := range outputLines(out) {
		// The reason is last and may hold spaces; an empty reason leaves a trailing space,
		// which a tolerant reader may also see trimmed.
		fields := strings.SplitN(line, " ", 5)
		if len(fields) == 4 {
			fields = append(fields, "")
		}
		if len(fields) != 5 {
			return nil, lineError(n, line, fmt.Errorf("has %d fields, want 5 (%s)", len(fields), StatusFormat))
		}
		state, offline := strings.CutSuffix(fields[0], "*")
		if !isStatusState(state) {
			return nil, lineError(n, line, fmt.Errorf("unknown state %q", fields[0]))
		}
		nnodes, err := parseCount(fields[1], "nnodes")
		if err != nil {
			return nil, lineError(n, line, err)
		}
		ranks, err := ParseRankSet(fields[2])
		if err != nil {
			return nil, lineError(n, line, err)
		}
		if int(nnodes) != len(ranks) {
			return nil, lineError(n, line, fmt.Errorf("nnodes %d but ranks %q hold %d", nnodes, fields[2], len(ranks)))
		}
		rows = append(rows, statusRow{State: state, Online: !offline, Ranks: ranks, Reason: fields[4]})
	}
	return rows, nil
}
