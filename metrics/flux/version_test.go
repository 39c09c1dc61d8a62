package flux

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVersionRecorded(t *testing.T) {
	out, err := recordedVersion()
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVersion(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Version{0, 88, 0}); v != want {
		t.Errorf("ParseVersion(recorded 0.88.0) = %v, want %v", v, want)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		want      Version
		wantInErr string
	}{
		{name: "build past a tag", out: "commands:    \t\t0.88.0-59-g1a2b3c4\nlibflux-core:\t\t0.88.0-59-g1a2b3c4\n", want: Version{0, 88, 0}},
		{name: "commands preferred", out: "libflux-core:\t\t0.90.1\ncommands:    \t\t0.80.0\n", want: Version{0, 80, 0}},
		{name: "libflux-core when no commands line", out: "libflux-core:\t\t0.81.2\nbroker:\t\t0.81.2\n", want: Version{0, 81, 2}},
		{name: "no version lines", out: "flux: command not found\n", wantInErr: "no commands or libflux-core line"},
		{name: "garbled version", out: "commands:\t\tlatest\n", wantInErr: `flux version commands "latest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVersion([]byte(tt.out))
			if tt.wantInErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
					t.Fatalf("ParseVersion = %v, %v; want an error containing %q", got, err, tt.wantInErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseVersion = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// versionRunner is a fake Runner: it answers `flux version` with out (exit code
// exitCode), every other command with empty successful output, and records the commands.
type versionRunner struct {
	out      string
	exitCode int

	mu    sync.Mutex
	calls []string
}

func (r *versionRunner) Run(_ context.Context, argv []string) (Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, strings.Join(argv, " "))
	r.mu.Unlock()
	if argv[len(argv)-1] != "version" {
		return Result{}, nil
	}
	if r.exitCode != 0 {
		return Result{ExitCode: r.exitCode, Stderr: []byte("flux: broker not running")}, nil
	}
	return Result{Stdout: []byte(r.out)}, nil
}

func (r *versionRunner) versionCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if strings.HasSuffix(c, " version") {
			n++
		}
	}
	return n
}

func TestCheckVersionTooOld(t *testing.T) {
	r := &versionRunner{out: "commands:    \t\t0.80.1\nlibflux-core:\t\t0.80.1\n"}
	v, err := CheckVersion(t.Context(), r, nil)
	want := "flux-core 0.80.1 (flux version) is older than 0.81.0, which fluxscale needs for flux resource undrain -u"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("CheckVersion = %v, %v; want an error containing %q", v, err, want)
	}
	if v, err := CheckVersion(t.Context(), &versionRunner{out: "commands:\t\t0.81.0\n"}, nil); err != nil || v != (Version{0, 81, 0}) {
		t.Errorf("CheckVersion(0.81.0) = %v, %v; want 0.81.0 accepted", v, err)
	}
}

// TestCLIChecksVersionOnce: the CLI client refuses to read or drain an old flux-core, and
// after a successful check runs flux version no more.
func TestCLIChecksVersionOnce(t *testing.T) {
	old := &versionRunner{out: "commands:    \t\t0.79.0\n"}
	cli := NewCLI(old, CLIOptions{})
	if _, err := cli.State(t.Context()); err == nil || !strings.Contains(err.Error(), "flux-core 0.79.0 (flux version) is older than 0.81.0") {
		t.Errorf("State on 0.79.0: %v, want the version error", err)
	}
	if err := cli.Drain(t.Context(), RankSet{1}, "r"); err == nil || !strings.Contains(err.Error(), "older than 0.81.0") {
		t.Errorf("Drain on 0.79.0: %v, want the version error", err)
	}
	if diff := cmp.Diff([]string{"flux version", "flux version"}, old.calls); diff != "" {
		t.Errorf("commands run on 0.79.0 (-want +got):\n%s", diff)
	}

	failing := &versionRunner{exitCode: 1}
	if err := NewCLI(failing, CLIOptions{}).Undrain(t.Context(), RankSet{1}); err == nil || !strings.Contains(err.Error(), "checking the flux-core version: flux version exited 1") {
		t.Errorf("Undrain when flux version fails: %v, want the failure", err)
	}

	good := &versionRunner{out: "commands:    \t\t0.88.0\n"}
	cli = NewCLI(good, CLIOptions{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { _ = cli.Undrain(t.Context(), RankSet{1}) })
	}
	wg.Wait()
	_ = cli.Drain(t.Context(), RankSet{1}, "r")
	_, _ = cli.State(t.Context())
	if n := good.versionCalls(); n != 1 {
		t.Errorf("flux version ran %d times, want once per client", n)
	}
}
