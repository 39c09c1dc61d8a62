package flux

import (
	"bytes"
	"fmt"
	"strings"
)

// The formats below are the ones the Flux fixtures were captured with (see
// test/fluxstandin/fixture/testdata/flux, scenario elastic-config): every parser is tested on real output of
// exactly these commands. No field may contain a space except the last ({reason}), so a
// line splits on single spaces into fixed columns even when fields are empty.
const (
	// StatusFormat is the `flux resource status -o` format the CLI client reads.
	StatusFormat = "{state} {nnodes} {ranks} {nodelist} {reason}"
	// ListFormat is the `flux resource list -o` format the CLI client reads.
	ListFormat = "{state} {nnodes} {ncores} {ranks} {nodelist}"
)

// listColumns are ListFormat's fields, in order.
func listColumns() []string { return []string{"state", "nnodes", "ncores", "ranks", "nodelist"} }

// jobsArgs lists active (pending and running) jobs of every user as JSON. -A matters: the
// exec'd user (often root, admitted as owner by the MiniCluster's allow-root-owner) is not
// necessarily the user who submitted the jobs, and plain `flux jobs` lists only the caller's
// own jobs, which would read as an empty queue. -c 0 matters too: flux jobs lists at most
// 1,000 jobs by default and, with --json, cuts the rest silently (exit 0, no warning);
// pending jobs come first, so running ones would be the ones lost and every count taken
// from the list would be wrong (flux-core 0.88.0). JSON, because a pending job's nnodes,
// ncores and ranks are empty in the -o formats, which breaks column parsing.
func jobsArgs() []string { return []string{"jobs", "-A", "-c", "0", "--json"} }

// statusArgs reads the resource service's view: online/offline and drain state per rank.
func statusArgs() []string { return []string{"resource", "status", "-n", "-o", StatusFormat} }

// listArgs reads the scheduler's view: free/allocated/down ranks and cores.
func listArgs() []string { return []string{"resource", "list", "-n", "-o", ListFormat} }

// drainArgs drains ranks with -u: ranks already drained keep their reason instead of failing
// the whole request with EEXIST (the resource module rejects a plain drain if any target is
// already drained, draining none of them).
func drainArgs(ranks RankSet, reason string) []string {
	return []string{"resource", "drain", "-u", ranks.String(), reason}
}

// undrainArgs undrains ranks with -u (flux-core 0.81+): ranks that are not drained are
// ignored. Without it Flux fails the whole request, undraining none, if any target is not
// drained, with a message that names a rank or an idset ("rank 3 not drained", "ranks 0-2
// not drained").
func undrainArgs(ranks RankSet) []string {
	return []string{"resource", "undrain", "-u", ranks.String()}
}

// CommandError is a flux command that ran and exited non-zero.
type CommandError struct {
	// Argv is the command as run.
	Argv []string
	// ExitCode is its exit status.
	ExitCode int
	// Stderr is what it printed on stderr, trimmed.
	Stderr string
}

// Error names the command, its exit status and what it printed on stderr.
func (e *CommandError) Error() string {
	msg := e.Stderr
	if msg == "" {
		msg = "no message on stderr"
	}
	return fmt.Sprintf("%s exited %d: %s", quoteArgv(e.Argv), e.ExitCode, msg)
}

// quoteArgv writes argv the way a person would type it, for error messages.
func quoteArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " '\"{}\\$*") {
			parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

// maxStderrInError bounds the stderr text carried in a CommandError.
const maxStderrInError = 1024

func newCommandError(argv []string, res Result) *CommandError {
	msg := string(bytes.TrimSpace(res.Stderr))
	if len(msg) > maxStderrInError {
		msg = msg[:maxStderrInError] + "..."
	}
	return &CommandError{Argv: argv, ExitCode: res.ExitCode, Stderr: msg}
}
