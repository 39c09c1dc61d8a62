package flux

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDrainRunsRecordedCommand(t *testing.T) {
	// drain step 10 recorded `flux resource drain -u 0,3 'idset list syntax'` (exit 0).
	runner := newFixtureRunner(t, "drain", 10)
	if err := NewCLI(runner, CLIOptions{}).Drain(t.Context(), NewRankSet(3, 0), "idset list syntax"); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"flux", "resource", "drain", "-u", "0,3", "idset list syntax"}}
	if diff := cmp.Diff(want, runner.Calls()); diff != "" {
		t.Errorf("commands run (-want +got):\n%s", diff)
	}
}

func TestUndrainRunsUndrainU(t *testing.T) {
	runner := &scriptedRunner{answers: map[string]Result{"flux resource undrain -u 2-3": {}}}
	if err := NewCLI(runner, CLIOptions{}).Undrain(t.Context(), RankRange(2, 4)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"flux resource undrain -u 2-3"}, runner.Calls()); diff != "" {
		t.Errorf("commands run (-want +got):\n%s", diff)
	}
}

func TestDrainFailureCarriesFluxMessage(t *testing.T) {
	s := loadScenario(t, "drain")
	bad, err := s.Find([]string{"flux", "resource", "drain", "9", "bad rank"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	runner := &scriptedRunner{answers: map[string]Result{
		"flux resource drain -u 9 bad rank": {Stderr: bad.Stderr, ExitCode: bad.ExitCode},
	}}
	err = NewCLI(runner, CLIOptions{}).Drain(t.Context(), RankSet{9}, "bad rank")
	var cmdErr *CommandError
	if !errors.As(err, &cmdErr) || cmdErr.ExitCode != 1 || cmdErr.Stderr != "flux-resource: ERROR: [Errno 22] idset is out of range" {
		t.Fatalf("Drain() error = %#v, want a CommandError with exit 1 and flux's message", err)
	}
}

func TestDrainValidates(t *testing.T) {
	tests := []struct {
		name      string
		ranks     RankSet
		reason    string
		wantInErr string
	}{
		{name: "no ranks", ranks: nil, reason: "x", wantInErr: "no ranks given"},
		{name: "unsorted ranks", ranks: RankSet{3, 2}, reason: "x", wantInErr: "not sorted and distinct"},
		{name: "rank out of range", ranks: RankSet{-1}, reason: "x", wantInErr: "out of range"},
		{name: "empty reason", ranks: RankSet{1}, reason: "", wantInErr: "drain reason is empty"},
		{name: "option-like reason", ranks: RankSet{1}, reason: "-f", wantInErr: `"-f" starts with '-'`},
		{name: "newline", ranks: RankSet{1}, reason: "a\nb", wantInErr: "unprintable character U+000A"},
		{name: "tab", ranks: RankSet{1}, reason: "a\tb", wantInErr: "unprintable character U+0009"},
		{name: "escape sequence", ranks: RankSet{1}, reason: "\x1b[31mred", wantInErr: "unprintable character U+001B"},
		{name: "invalid UTF-8", ranks: RankSet{1}, reason: "a\xffb", wantInErr: "not valid UTF-8"},
		{name: "too long", ranks: RankSet{1}, reason: strings.Repeat("é", MaxDrainReasonLen+1), wantInErr: "longer than 256 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner := &scriptedRunner{}
			err := NewCLI(runner, CLIOptions{}).Drain(t.Context(), tt.ranks, tt.reason)
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("Drain(%v, %q) = %v, want an error containing %q", tt.ranks, tt.reason, err, tt.wantInErr)
			}
			if calls := runner.Calls(); len(calls) != 0 {
				t.Errorf("Drain ran %q before validating", calls)
			}
		})
	}
	if err := ValidateDrainReason(strings.Repeat("é", MaxDrainReasonLen)); err != nil {
		t.Errorf("a reason of exactly %d characters: %v", MaxDrainReasonLen, err)
	}
	if err := ValidateDrainReason("fluxscale: scale-down 7-9 (policy flux-sample)"); err != nil {
		t.Errorf("a plain reason: %v", err)
	}
}

// undrainRunner is a fake Runner for flux resource undrain that behaves as flux-core 0.88.0
// does: a plain undrain fails, undraining none, when any target is not drained, with the
// recorded message for one rank (drain step 06) or the plural one for several ("ranks 0-2
// not drained"); -u undrains the drained targets and ignores the others. Ranks past size
// fail with the recorded out-of-range message (drain step 10).
type undrainRunner struct {
	size    int32
	drained RankSet
	calls   []string
}

func (r *undrainRunner) Run(_ context.Context, argv []string) (Result, error) {
	if res, ok := answerVersion(argv); ok {
		return res, nil
	}
	r.calls = append(r.calls, strings.Join(argv, " "))
	args := argv[3:]
	if !slices.Equal(argv[:3], []string{"flux", "resource", "undrain"}) || len(args) == 0 {
		return Result{}, errors.New("undrainRunner: not an undrain: " + strings.Join(argv, " "))
	}
	ignore := args[0] == "-u"
	if ignore {
		args = args[1:]
	}
	targets, err := ParseRankSet(args[0])
	if err != nil {
		return Result{}, err
	}
	var notDrained RankSet
	for _, rank := range targets {
		if rank >= r.size {
			return Result{ExitCode: 1, Stderr: []byte("flux-resource: ERROR: [Errno 22] idset is out of range\n")}, nil
		}
		if !r.drained.Contains(rank) {
			notDrained = append(notDrained, rank)
		}
	}
	if len(notDrained) > 0 && !ignore {
		msg := "rank " + notDrained.String()
		if len(notDrained) > 1 {
			msg = "ranks " + notDrained.String()
		}
		return Result{ExitCode: 1, Stderr: []byte("flux-resource: ERROR: " + msg + " not drained\n")}, nil
	}
	var still RankSet
	for _, rank := range r.drained {
		if !targets.Contains(rank) {
			still = append(still, rank)
		}
	}
	r.drained = still
	return Result{}, nil
}

// TestUndrainIsIdempotent undrains sets of ranks of which any part may be drained, twice:
// both times succeed and leave every target undrained and every other rank as it was.
func TestUndrainIsIdempotent(t *testing.T) {
	s := loadScenario(t, "drain")
	// The fake's singular message must be flux's.
	if got, want := strings.TrimSpace(string(recordedStderr(t, s, "06_undrain_3_again"))), "flux-resource: ERROR: rank 3 not drained"; got != want {
		t.Fatalf("recorded message %q, the fake prints %q", got, want)
	}
	tests := []struct {
		name        string
		drained     RankSet
		ranks       RankSet
		wantDrained RankSet
	}{
		{name: "all targets drained", drained: RankSet{2, 3}, ranks: RankSet{2, 3}},
		{name: "no target drained", drained: RankSet{1}, ranks: RankSet{3}, wantDrained: RankSet{1}},
		// flux-core 0.88.0: `flux resource undrain 0-3` fails with "ranks 0-2 not drained".
		{name: "only the last of several drained", drained: RankSet{3}, ranks: RankRange(0, 4)},
		{name: "some drained, others kept", drained: RankSet{0, 2, 5}, ranks: RankSet{1, 2, 3}, wantDrained: RankSet{0, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner := &undrainRunner{size: 6, drained: tt.drained}
			cli := NewCLI(runner, CLIOptions{})
			for range 2 {
				if err := cli.Undrain(t.Context(), tt.ranks); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.wantDrained, runner.drained); diff != "" {
				t.Errorf("drained ranks after Undrain(%v) (-want +got):\n%s", tt.ranks, diff)
			}
		})
	}
}

func TestUndrainOtherFailuresAreErrors(t *testing.T) {
	s := loadScenario(t, "drain")
	runner := &scriptedRunner{answers: map[string]Result{
		"flux resource undrain -u 9": {ExitCode: 1, Stderr: recordedStderr(t, s, "10_drain_bad_rank")},
	}}
	err := NewCLI(runner, CLIOptions{}).Undrain(t.Context(), RankSet{9})
	if err == nil || !strings.Contains(err.Error(), "idset is out of range") {
		t.Fatalf("Undrain(9) = %v, want flux's out-of-range error", err)
	}
	if calls := runner.Calls(); !slices.Equal(calls, []string{"flux resource undrain -u 9"}) {
		t.Errorf("commands run = %q, want only the undrain", calls)
	}
}
