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

// writeExpressionPolicy writes a ScalingPolicy with one Expression policy of formula.
func writeExpressionPolicy(t *testing.T, dir, formula string) string {
	t.Helper()
	path := filepath.Join(dir, "expr.yaml")
	doc := "apiVersion: fluxscale.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: expr}\nspec:\n  maxSize: 24\n" +
		"  policies:\n  - type: Expression\n    expression:\n      formula: " + formula + "\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSimulateRejectsBadFormula: a formula that does not compile stops the replay with the
// message the controller puts in ScalingActive.
func TestSimulateRejectsBadFormula(t *testing.T) {
	dir := t.TempDir()
	trace := writeTrace(t, dir)
	policyFile := writeExpressionPolicy(t, dir, `"busy + pendng"`)
	var stdout, stderr bytes.Buffer
	err := simulate(context.Background(), []string{"--trace", trace, "--policy", policyFile, "--baselines", "none"},
		&stdout, &stderr, clocktesting.NewFakePassiveClock(traceEpoch))
	want := "policy expr: policies[0] (Expression): expression.formula, column 8: undeclared reference to 'pendng'"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, errUsage) {
		t.Fatalf("error %v, want a usage error containing %q", err, want)
	}
}

// TestSimulateReplaysExpression replays an Expression policy and says which variables the
// replay cannot fill.
func TestSimulateReplaysExpression(t *testing.T) {
	dir := t.TempDir()
	trace := writeTrace(t, dir)
	policyFile := writeExpressionPolicy(t, dir, `"cpuPercent > 90 ? current + 1 : busy + math.greatest(pending, hour >= 8 && hour < 18 ? 2 : 0)"`)
	var stdout, stderr bytes.Buffer
	err := simulate(context.Background(), []string{"--trace", trace, "--policy", policyFile, "--baselines", "none"},
		&stdout, &stderr, clocktesting.NewFakePassiveClock(traceEpoch))
	if err != nil {
		t.Fatalf("simulate: %v\nstderr:\n%s", err, stderr.String())
	}
	if want := "simulate: policies[0] (Expression) reads cpuPercent, which the replay leaves unknown (no pod metrics): " +
		"a formula that depends on it recommends nothing"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	if !strings.Contains(stdout.String(), "expr") {
		t.Errorf("no expr row:\n%s", stdout.String())
	}
}
