package flux

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLocalRunner(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want Result
	}{
		{name: "stdout, stderr and exit code", argv: []string{"sh", "-c", "printf out; printf err >&2; exit 3"},
			want: Result{Stdout: []byte("out"), Stderr: []byte("err"), ExitCode: 3}},
		// No shell between us and the command: metacharacters arrive as they are.
		{name: "arguments are not shell words", argv: []string{"printf", "%s|", "a b", "$HOME", "'q'"},
			want: Result{Stdout: []byte("a b|$HOME|'q'|")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LocalRunner{}.Run(t.Context(), tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
				t.Errorf("Run(%q) (-want +got):\n%s", tt.argv, diff)
			}
		})
	}
}

func TestLocalRunnerEnv(t *testing.T) {
	got, err := LocalRunner{Env: []string{"FLUX_URI=local:///x"}}.Run(t.Context(), []string{"sh", "-c", "printf %s \"$FLUX_URI\""})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Stdout) != "local:///x" {
		t.Errorf("stdout = %q, want the variable set in Env", got.Stdout)
	}
}

func TestLocalRunnerErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		argv      []string
		wantInErr string
	}{
		{name: "no command", ctx: t.Context(), argv: nil, wantInErr: "no command"},
		{name: "not found", ctx: t.Context(), argv: []string{"/nonexistent/flux"}, wantInErr: "no such file"},
		{name: "killed by a signal", ctx: t.Context(), argv: []string{"sh", "-c", "kill -9 $$"}, wantInErr: "killed"},
		{name: "context done", ctx: canceled, argv: []string{"sh", "-c", "exit 0"}, wantInErr: "context canceled"},
		{name: "output too large", ctx: t.Context(), argv: []string{"head", "-c", strconv.Itoa(MaxOutputBytes + 1), "/dev/zero"}, wantInErr: "output exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LocalRunner{}.Run(tt.ctx, tt.argv)
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("Run(%q) = %d bytes of stdout, exit %d, %v; want an error containing %q", tt.argv, len(got.Stdout), got.ExitCode, err, tt.wantInErr)
			}
			if tt.ctx.Err() != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v does not wrap the context's", err)
			}
		})
	}
}
