package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clocktesting "k8s.io/utils/clock/testing"
)

// writeExternalPolicy writes a ScalingPolicy whose policies[1] is External.
func writeExternalPolicy(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ext.yaml")
	doc := "apiVersion: fluxscale.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: ext}\nspec:\n  maxSize: 24\n" +
		"  policies:\n  - type: QueueDepth\n  - type: External\n    external: {address: \"scaler:9090\"}\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSimulateReplaysExternal replays an External policy from a flag and from a recorded
// series, and refuses one without either.
func TestSimulateReplaysExternal(t *testing.T) {
	dir := t.TempDir()
	trace := writeTrace(t, dir)
	policyFile := writeExternalPolicy(t, dir)
	series := filepath.Join(dir, "backlog.csv")
	if err := os.WriteFile(series, []byte("offset_seconds,value,target\n0,0\n3600,40,4\n7200,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		args := append([]string{"--trace", trace, "--policy", policyFile, "--baselines", "none"}, extra...)
		err := simulate(context.Background(), args, &stdout, &stderr, clocktesting.NewFakePassiveClock(traceEpoch))
		return stdout.String(), err
	}
	for name, extra := range map[string][]string{
		"flag":   {"--external", "policies[1]=12/4"},
		"series": {"--external-series", "policies[1]=" + series},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := run(extra...)
			if err != nil {
				t.Fatalf("simulate: %v", err)
			}
			if !strings.Contains(out, "ext") {
				t.Errorf("no ext row:\n%s", out)
			}
		})
	}
	for name, c := range map[string]struct {
		extra []string
		want  string
	}{
		"no scaler":           {want: "policies[1] is External: the replay has no scaler"},
		"not External":        {extra: []string{"--external", "policies[0]=3", "--external", "policies[1]=3"}, want: "policies[0] is not an External policy"},
		"bad index":           {extra: []string{"--external", "policy1=3"}, want: "write policies[INDEX]=VALUE[/TARGET]"},
		"value not a number":  {extra: []string{"--external", "policies[1]=many"}, want: `value "many" is not a number`},
		"series file missing": {extra: []string{"--external-series", "policies[1]=" + filepath.Join(dir, "none.csv")}, want: "none.csv"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := run(c.extra...)
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, errUsage) {
				t.Errorf("error %v, want a usage error containing %q", err, c.want)
			}
		})
	}
}
