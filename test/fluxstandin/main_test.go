package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxscale/fluxscale/test/fluxstandin/fixture"
)

func TestRun(t *testing.T) {
	root, err := fixture.Root()
	if err != nil {
		t.Fatal(err)
	}
	read := func(scenario, name string) string {
		b, err := os.ReadFile(filepath.Join(root, scenario, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name       string
		scenario   string
		step       string
		args       []string
		wantStdout string
		wantStderr string
		wantCode   int
	}{
		{
			name: "status at step 3", scenario: "elastic-config", step: "3",
			args:       []string{"resource", "status", "-n", "-o", "{state} {nnodes} {ranks} {nodelist} {reason}"},
			wantStdout: read("elastic-config", "03_resource_status_fmt.txt"),
		},
		{
			name: "recorded failure keeps its exit code and stderr", scenario: "unsatisfiable",
			args:       []string{"run", "-N8", "hostname"},
			wantStdout: read("unsatisfiable", "03_run_N8.txt"),
			wantStderr: read("unsatisfiable", "03_run_N8.stderr.txt"), wantCode: 1,
		},
		{
			name: "stats-only exits 1 with output when idle", scenario: "idle",
			args:       []string{"jobs", "--stats-only"},
			wantStdout: read("idle", "jobs_stats_only.txt"), wantCode: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("FLUXSTANDIN_DIR", filepath.Join(root, tt.scenario))
			t.Setenv("FLUXSTANDIN_STEP", tt.step)
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode || stdout.String() != tt.wantStdout || stderr.String() != tt.wantStderr {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, %q, %q",
					tt.args, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

func TestRunRefusesUnrecorded(t *testing.T) {
	root, err := fixture.Root()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		dir, step string
		args      []string
		wantInErr string
	}{
		{name: "unknown argv", dir: filepath.Join(root, "idle"), args: []string{"jobs", "--bogus"}, wantInErr: "no recording"},
		{name: "before its first capture", dir: filepath.Join(root, "elastic-config"), step: "1", args: []string{"jobs", "-a", "--json"}, wantInErr: "no recording"},
		{name: "same step recorded twice", dir: filepath.Join(root, "drain"), step: "6", args: []string{"resource", "undrain", "3"}, wantInErr: "recorded twice"},
		{name: "no directory", dir: "", args: []string{"jobs"}, wantInErr: "FLUXSTANDIN_DIR"},
		{name: "bad step", dir: filepath.Join(root, "idle"), step: "two", args: []string{"jobs"}, wantInErr: "FLUXSTANDIN_STEP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("FLUXSTANDIN_DIR", tt.dir)
			t.Setenv("FLUXSTANDIN_STEP", tt.step)
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != exitNoRecording || stdout.Len() != 0 || !strings.Contains(stderr.String(), tt.wantInErr) {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, no stdout, stderr naming %q",
					tt.args, code, stdout.String(), stderr.String(), exitNoRecording, tt.wantInErr)
			}
		})
	}
}
