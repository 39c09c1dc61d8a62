package flux

import (
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

func TestUndrainRunsRecordedCommand(t *testing.T) {
	// elastic-config step 5 recorded `flux resource undrain 2-3` (exit 0).
	runner := newFixtureRunner(t, "elastic-config", 5)
	if err := NewCLI(runner, CLIOptions{}).Undrain(t.Context(), RankRange(2, 4)); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"flux", "resource", "undrain", "2-3"}}
	if diff := cmp.Diff(want, runner.Calls()); diff != "" {
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

// TestUndrainIsIdempotent replays flux's answer to undraining a rank that is not drained
// (drain step 06, "rank 3 not drained") and checks Undrain then undrains only the targets
// flux resource status shows drained.
func TestUndrainIsIdempotent(t *testing.T) {
	s := loadScenario(t, "drain")
	status := strings.Join(ourReads()[1], " ")
	notDrained3 := Result{ExitCode: 1, Stderr: recordedStderr(t, s, "06_undrain_3_again")}
	tests := []struct {
		name      string
		ranks     RankSet
		answers   map[string]Result
		wantCalls []string
	}{
		{
			name:  "nothing left to undrain",
			ranks: RankSet{3},
			answers: map[string]Result{
				"flux resource undrain 3": notDrained3,
				status:                    {Stdout: recorded(t, s, "07_undrained_resource_status_fmt_nohdr", ourReads()[1])},
			},
			wantCalls: []string{"flux resource undrain 3", status},
		},
		{
			// Flux names the first target that is not drained; the message is the recorded
			// one with that rank.
			name:  "some targets still drained",
			ranks: RankSet{2, 3},
			answers: map[string]Result{
				"flux resource undrain 2-3": {ExitCode: 1, Stderr: []byte(strings.Replace(string(notDrained3.Stderr), "rank 3", "rank 2", 1))},
				status:                      {Stdout: recorded(t, s, "05_drained_resource_status_fmt_nohdr", ourReads()[1])},
				"flux resource undrain 3":   {},
			},
			wantCalls: []string{"flux resource undrain 2-3", status, "flux resource undrain 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner := &scriptedRunner{answers: tt.answers}
			if err := NewCLI(runner, CLIOptions{}).Undrain(t.Context(), tt.ranks); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCalls, runner.Calls()); diff != "" {
				t.Errorf("commands run (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUndrainOtherFailuresAreErrors(t *testing.T) {
	s := loadScenario(t, "drain")
	runner := &scriptedRunner{answers: map[string]Result{
		"flux resource undrain 9": {ExitCode: 1, Stderr: recordedStderr(t, s, "10_drain_bad_rank")},
	}}
	err := NewCLI(runner, CLIOptions{}).Undrain(t.Context(), RankSet{9})
	if err == nil || !strings.Contains(err.Error(), "idset is out of range") {
		t.Fatalf("Undrain(9) = %v, want flux's out-of-range error", err)
	}
	if calls := runner.Calls(); !slices.Equal(calls, []string{"flux resource undrain 9"}) {
		t.Errorf("commands run = %q, want only the undrain", calls)
	}
}
