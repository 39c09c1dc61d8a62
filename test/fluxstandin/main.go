// Command fluxstandin stands in for the flux command in tests: it answers a command with the
// output real Flux recorded for exactly that command. Build it as "flux" into a directory on
// PATH, point FLUXSTANDIN_DIR at a scenario directory of the Flux fixtures (one holding
// index.tsv) and optionally FLUXSTANDIN_STEP at a capture step (e.g. 2 for files "02_*"):
// it then prints the recorded stdout and stderr of the command matching its arguments and
// exits with the recorded status. The recording of a command at a step is its latest capture
// at or before that step. An argv with no recording exits 2 and says so on stderr.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/fluxscale/fluxscale/test/fluxstandin/fixture"
)

// exitNoRecording is the status for a command the scenario did not record (argparse's usage
// status, which a caller will not mistake for a recorded flux failure exit 1).
const exitNoRecording = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	dir := os.Getenv("FLUXSTANDIN_DIR")
	if dir == "" {
		fmt.Fprintln(stderr, "fluxstandin: set FLUXSTANDIN_DIR to a Flux fixture scenario directory")
		return exitNoRecording
	}
	step := -1
	if s := os.Getenv("FLUXSTANDIN_STEP"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			fmt.Fprintf(stderr, "fluxstandin: FLUXSTANDIN_STEP %q is not a step number\n", s)
			return exitNoRecording
		}
		step = n
	}
	scenario, err := fixture.Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, "fluxstandin:", err)
		return exitNoRecording
	}
	// Recordings start with the program name flux, whatever name this binary runs under.
	out, err := scenario.Find(append([]string{"flux"}, args...), step)
	if err != nil {
		fmt.Fprintln(stderr, "fluxstandin:", err)
		return exitNoRecording
	}
	if _, err := stdout.Write(out.Stdout); err != nil {
		return exitNoRecording
	}
	if _, err := stderr.Write(out.Stderr); err != nil {
		return exitNoRecording
	}
	return out.ExitCode
}
