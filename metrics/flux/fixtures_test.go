package flux

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/fluxscale/fluxscale/test/fluxstandin/fixture"
)

// recordedJobs is what the fixtures recorded instead of our `flux jobs -A -c 0 --json`: the
// same JSON document (see fixture.RecordedAs).
func recordedJobs() []string { return fixture.RecordedAs(slices.Concat([]string{"flux"}, jobsArgs())) }

// recordedListWithGPUs is the resource list command of the idle, busy and drain scenarios:
// our format plus an {ngpus} column.
func recordedListWithGPUs() []string {
	return []string{"flux", "resource", "list", "-n", "-o", "{state} {nnodes} {ncores} {ngpus} {ranks} {nodelist}"}
}

// listColumnsWithGPUs are recordedListWithGPUs's columns.
func listColumnsWithGPUs() []string {
	return []string{"state", "nnodes", "ncores", "ngpus", "ranks", "nodelist"}
}

// loadScenario loads one fixture scenario.
func loadScenario(t testing.TB, name string) *fixture.Scenario {
	t.Helper()
	root, err := fixture.Root()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fixture.Load(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recorded returns the stdout of the recording called name, after checking it was recorded
// with argv: a parser test must read the output of the command the client runs.
func recorded(t testing.TB, s *fixture.Scenario, name string, argv []string) []byte {
	t.Helper()
	for _, e := range s.Entries {
		if e.Name == name && !slices.Equal(e.Argv, argv) {
			t.Fatalf("%s/%s was recorded with %q, not %q", s.Dir, name, e.Command, argv)
		}
	}
	out, err := s.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	return out.Stdout
}

// recordedStderr returns the stderr of the recording called name.
func recordedStderr(t testing.TB, s *fixture.Scenario, name string) []byte {
	t.Helper()
	out, err := s.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Stderr) == 0 {
		t.Fatalf("%s/%s has no stderr", s.Dir, name)
	}
	return out.Stderr
}

// fixtureRunner is a Runner that answers with the recordings of one scenario as of one
// capture step, and records the commands it was asked to run.
type fixtureRunner struct {
	scenario *fixture.Scenario
	step     int

	mu    sync.Mutex
	calls [][]string
}

var _ Runner = (*fixtureRunner)(nil)

func newFixtureRunner(t testing.TB, scenario string, step int) *fixtureRunner {
	return &fixtureRunner{scenario: loadScenario(t, scenario), step: step}
}

func (r *fixtureRunner) Run(_ context.Context, argv []string) (Result, error) {
	if res, ok := answerVersion(argv); ok {
		return res, nil
	}
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(argv))
	r.mu.Unlock()
	out, err := r.scenario.Find(fixture.RecordedAs(argv), r.step)
	if err != nil {
		return Result{}, fmt.Errorf("fixture runner: %w", err)
	}
	return Result{Stdout: out.Stdout, Stderr: out.Stderr, ExitCode: out.ExitCode}, nil
}

func (r *fixtureRunner) Calls() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// recordedVersion is `flux version` as flux-core 0.88.0 printed it (idle scenario).
var recordedVersion = sync.OnceValues(func() ([]byte, error) {
	root, err := fixture.Root()
	if err != nil {
		return nil, err
	}
	s, err := fixture.Load(filepath.Join(root, "idle"))
	if err != nil {
		return nil, err
	}
	out, err := s.Read("version")
	if err != nil {
		return nil, err
	}
	return out.Stdout, nil
})

// answerVersion answers the client's one-time `flux version` check with the recorded 0.88.0
// output, for the test fakes whose tests are about other commands: those fakes neither
// script nor record it. version_test.go tests the check itself.
func answerVersion(argv []string) (Result, bool) {
	if len(argv) == 0 || argv[len(argv)-1] != "version" {
		return Result{}, false
	}
	out, err := recordedVersion()
	if err != nil {
		return Result{ExitCode: 1, Stderr: []byte("test fake: no recorded flux version: " + err.Error())}, true
	}
	return Result{Stdout: out}, true
}
