package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/fluxscale/fluxscale/metrics/simulated/workload"
)

// writeTrace writes a generated bursty workload for a 24-node cluster as SWF.
func writeTrace(t *testing.T, dir string) string {
	t.Helper()
	jobs, err := workload.Generate(workload.GenOptions{
		Seed: 11, Jobs: 300, Start: traceEpoch, MaxNodes: 24, MeanInterarrival: 4 * time.Minute,
		DiurnalAmplitude: 0.7, BurstEvery: 5 * time.Hour, BurstJobs: 15,
		MinRuntime: time.Minute, MaxRuntime: 3 * time.Hour, WalltimeFactor: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gen.swf")
	var b bytes.Buffer
	if err := workload.WriteSWF(&b, jobs, traceEpoch, 24); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runOnce runs simulate into a fresh --out and returns stdout and the files by name.
func runOnce(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	clk := clocktesting.NewFakePassiveClock(traceEpoch)
	if err := simulate(context.Background(), append(args, "--out", out), &stdout, &stderr, clk); err != nil {
		t.Fatalf("simulate %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	got := map[string]string{"stdout": stdout.String()}
	for _, name := range []string{"table.csv", "table.json", "report.html"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		// The report shows the command line, whose --out differs per run.
		got[name] = strings.ReplaceAll(string(data), out, "OUT")
	}
	return got
}

func TestSimulateIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	trace := writeTrace(t, dir)
	policyFile := filepath.Join("..", "..", "config", "samples", "simulate-policy.yaml")
	args := []string{"--trace", trace, "--policy", policyFile, "--max-size", "24", "--sched", "easy", "--node-up-delay", "30s"}
	first, second := runOnce(t, args...), runOnce(t, args...)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("two runs differ (-first +second):\n%s", diff)
	}
	for _, row := range []string{"queue-with-headroom", "static-max", "static-min", "hpa", "slurm-power-save", "clairvoyant", "clairvoyant-top-only", "lower bound"} {
		if !strings.Contains(first["stdout"], row) || !strings.Contains(first["table.csv"], row) {
			t.Errorf("no %q row in the table:\n%s", row, first["stdout"])
		}
	}
	if !strings.HasPrefix(first["report.html"], "<!DOCTYPE html>") || !strings.Contains(first["table.json"], `"maxSize": 24`) {
		t.Errorf("report or JSON malformed:\n%.200s\n%.200s", first["report.html"], first["table.json"])
	}
	if want := "fluxscale simulate --trace " + trace; !strings.Contains(first["report.html"], want) {
		t.Errorf("the report does not show the command %q", want)
	}
}

func TestSimulateRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	trace := writeTrace(t, dir)
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("apiVersion: fluxscale.dev/v1alpha1\nkind: ScalingPolicy\nspec:\n  maxSize: 8\n  scaleDwn: {mode: Drain}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		wantUsage bool
	}{
		{"no trace", []string{"--max-size", "4"}, "--trace is required", true},
		{"unknown baseline", []string{"--trace", trace, "--baselines", "static-max,kubernetes"}, `"kubernetes" is not a baseline`, true},
		{"unknown scheduler", []string{"--trace", trace, "--sched", "sjf"}, `scheduler "sjf"`, true},
		{"min above max", []string{"--trace", trace, "--max-size", "4", "--min-size", "5"}, "maxSize 4 is below minSize 5", true},
		{"misspelled policy field", []string{"--trace", trace, "--policy", typo}, `unknown field "scaleDwn"`, false},
		{"missing trace file", []string{"--trace", filepath.Join(dir, "nope.swf")}, "nope.swf", false},
		{"misspelled sweep field", []string{"--trace", trace, "--sweep", "behavior.scaleDown.window=0,60"}, `unknown field "window"`, true},
		{"sweep below minSize", []string{"--trace", trace, "--sweep", "maxSize=0"}, "--sweep maxSize=0: maxSize 0 is below minSize 1", true},
		{"bad --from", []string{"--trace", trace, "--from", "ten days"}, `"ten days" is not a duration`, true},
		{"--to before --from", []string{"--trace", trace, "--from", "2d", "--to", "1d"}, "--to 24h0m0s is not after --from 48h0m0s", true},
		{"bad suspend time", []string{"--trace", trace, "--slurm-suspend-time", "0s"}, "--slurm-suspend-time 0s: must be positive", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := simulate(context.Background(), tc.args, &stdout, &stderr, clocktesting.NewFakePassiveClock(traceEpoch))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if got := errors.Is(err, errUsage); got != tc.wantUsage {
				t.Errorf("usage error %v, want %v (%v)", got, tc.wantUsage, err)
			}
		})
	}
}

func TestSimulateSweepsAndBounds(t *testing.T) {
	trace := writeTrace(t, t.TempDir())
	got := runOnce(t, "--trace", trace, "--max-size", "24", "--sched", "easy", "--baselines", "clairvoyant-top-only",
		"--sweep", "behavior.scaleDown.stabilizationWindowSeconds=0,600", "--from", "0.5d", "--to", "1d")
	for _, row := range []string{"default-policy ", "default-policy behavior.scaleDown.stabilizationWindowSeconds=0 ",
		"default-policy behavior.scaleDown.stabilizationWindowSeconds=600 ", "static-max ", "clairvoyant-top-only "} {
		if !strings.Contains(got["stdout"], "\n"+row) {
			t.Errorf("no %q row in the table:\n%s", row, got["stdout"])
		}
	}
	if !strings.Contains(got["report.html"], "from 12.0h to 1.0d after the first submit") {
		t.Errorf("the report's timeline is not the --from/--to window")
	}
}
