package main

import (
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseControllerFlags(t *testing.T) {
	type flags struct {
		Metrics, Probe, Hint, Audience, LeaderNS string
		Leader                                   bool
		WatchNS                                  []string
		Reader                                   string
	}
	tests := []struct {
		name    string
		args    []string
		want    flags
		wantErr error
		errHas  string
	}{{
		name: "defaults: leader election on, hints on :8443",
		want: flags{Metrics: ":8080", Probe: ":8081", Hint: ":8443", Audience: "fluxscale", Leader: true, Reader: "python"},
	}, {
		name: "everything set",
		args: []string{"-metrics-bind-address=0", "-health-probe-bind-address=:9000", "-leader-elect=false",
			"-leader-election-namespace=ops", "-hint-bind-address=0", "-hint-audience=x", "-kubeconfig=/dev/null", "-flux-reader=cli"},
		want: flags{Metrics: "0", Probe: ":9000", Hint: "0", Audience: "x", LeaderNS: "ops", Reader: "cli"},
	}, {
		name: "watch-namespaces is split, trimmed and deduplicated",
		args: []string{"-watch-namespaces= team-a,team-b ,team-a"},
		want: flags{Metrics: ":8080", Probe: ":8081", Hint: ":8443", Audience: "fluxscale", Leader: true,
			WatchNS: []string{"team-a", "team-b"}, Reader: "python"},
	}, {
		name:    "an unknown Flux reader is a usage error naming it",
		args:    []string{"-flux-reader=rpc"},
		wantErr: errUsage,
		errHas:  `-flux-reader "rpc": want python or cli`,
	}, {
		name:    "a namespace Kubernetes would refuse is a usage error naming it",
		args:    []string{"-watch-namespaces=team-a,Team_B"},
		wantErr: errUsage,
		errHas:  `namespace "Team_B" is not valid`,
	}, {
		name:    "an empty entry in the list is a usage error",
		args:    []string{"-watch-namespaces=team-a,,team-b"},
		wantErr: errUsage,
		errHas:  `namespace "" is not valid`,
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
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want %v containing %q", err, tc.wantErr, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := flags{Metrics: f.metricsAddr, Probe: f.probeAddr, Hint: f.hintAddr, Audience: f.hintAudience,
				LeaderNS: f.leaderNamespace, Leader: f.leaderElect, WatchNS: f.watchNamespaces, Reader: f.fluxReader}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

// The cache options are what limits the manager: with namespaces, only those are cached (and
// so watched); without, DefaultNamespaces stays empty, which controller-runtime reads as all.
func TestCacheOptions(t *testing.T) {
	if got := cacheOptions(nil).DefaultNamespaces; got != nil {
		t.Errorf("no namespaces: DefaultNamespaces = %v, want nil (all namespaces)", got)
	}
	got := cacheOptions([]string{"team-a", "team-b"}).DefaultNamespaces
	var names []string
	for ns := range got {
		names = append(names, ns)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"team-a", "team-b"}, names); diff != "" {
		t.Errorf("cached namespaces (-want +got):\n%s", diff)
	}
}
