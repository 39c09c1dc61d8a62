package main

import (
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseControllerFlags(t *testing.T) {
	type flags struct {
		Metrics, Probe, Hint, Audience, LeaderNS string
		Leader                                   bool
	}
	tests := []struct {
		name    string
		args    []string
		want    flags
		wantErr error
	}{{
		name: "defaults: leader election on, hints on :8443",
		want: flags{Metrics: ":8080", Probe: ":8081", Hint: ":8443", Audience: "fluxscale", Leader: true},
	}, {
		name: "everything set",
		args: []string{"-metrics-bind-address=0", "-health-probe-bind-address=:9000", "-leader-elect=false",
			"-leader-election-namespace=ops", "-hint-bind-address=0", "-hint-audience=x", "-kubeconfig=/dev/null"},
		want: flags{Metrics: "0", Probe: ":9000", Hint: "0", Audience: "x", LeaderNS: "ops"},
	}, {
		name:    "unknown flag is a usage error",
		args:    []string{"-nope"},
		wantErr: errUsage,
	}, {
		name:    "stray argument is a usage error",
		args:    []string{"extra"},
		wantErr: errUsage,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseControllerFlags(tc.args, io.Discard)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := flags{Metrics: f.metricsAddr, Probe: f.probeAddr, Hint: f.hintAddr, Audience: f.hintAudience,
				LeaderNS: f.leaderNamespace, Leader: f.leaderElect}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}
