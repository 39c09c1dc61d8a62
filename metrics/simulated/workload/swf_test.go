package workload

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func TestReadSWF(t *testing.T) {
	const header = "; Version: 2\n; MaxNodes: 8\n;\n"
	tests := []struct {
		name     string
		in       string
		maxNodes int32
		want     Trace
	}{{
		name: "requested processors and time win over allocated and run time",
		in:   header + "1 10 -1 100 4 -1 -1 2 300 -1 1 -1 -1 -1 0 -1 -1 -1\n",
		want: Trace{MaxNodes: 8, Jobs: []simulated.Job{
			{ID: 1, Submit: epoch.Add(10 * time.Second), NNodes: 2, Runtime: 100 * time.Second, Walltime: 300 * time.Second},
		}},
	}, {
		name: "-1 requests fall back to allocated processors and run time",
		in:   header + "  7   20 -1   50   3 -1 -1 -1 -1 -1 1 -1 -1 -1 0 -1 -1 -1\n\n",
		want: Trace{MaxNodes: 8, Jobs: []simulated.Job{
			{ID: 7, Submit: epoch.Add(20 * time.Second), NNodes: 3, Runtime: 50 * time.Second, Walltime: 50 * time.Second},
		}},
	}, {
		name: "a run past the requested time is cut to it",
		in:   "1 0 -1 500 1 -1 -1 1 400\n",
		want: Trace{ClampedRuntime: 1, Jobs: []simulated.Job{
			{ID: 1, Submit: epoch, NNodes: 1, Runtime: 400 * time.Second, Walltime: 400 * time.Second},
		}},
	}, {
		name:     "wide jobs are skipped and counted",
		in:       header + "1 0 -1 5 9 -1 -1 -1 -1\n2 0 -1 5 8 -1 -1 -1 -1\n",
		maxNodes: 8,
		want: Trace{MaxNodes: 8, SkippedWide: 1, Jobs: []simulated.Job{
			{ID: 2, Submit: epoch, NNodes: 8, Runtime: 5 * time.Second, Walltime: 5 * time.Second},
		}},
	}, {
		name: "without a max size the header's applies",
		in:   header + "1 0 -1 5 9 -1 -1 -1 -1\n",
		want: Trace{MaxNodes: 8, SkippedWide: 1},
	}, {
		name: "jobs missing a run time or size are skipped and counted",
		in:   "1 0 -1 -1 4 -1 -1 -1 -1\n2 0 -1 5 -1 -1 -1 -1 -1\n3 -1 -1 5 2 -1 -1 -1 -1\n",
		want: Trace{SkippedUnknown: 3},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSWF(strings.NewReader(tc.in), SWFOptions{Epoch: epoch, MaxNodes: tc.maxNodes})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadSWF (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadSWFErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"too few fields", "; c\n1 0 -1 5 1 -1 -1 -1 -1\n2 0 -1 5\n", "SWF line 3: 4 fields"},
		{"not a number", "1 0 -1 five 1 -1 -1 -1 -1\n", "SWF line 1: field 4 is \"five\""},
		{"below -1", "1 0 -1 5 -3 -1 -1 -1 -1\n", "SWF line 1: field 5 is \"-3\""},
		{"fraction", "\n1 0.5 -1 5 1 -1 -1 -1 -1\n", "SWF line 2: field 2 is \"0.5\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSWF(strings.NewReader(tc.in), SWFOptions{Epoch: epoch})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSWFRoundTrip(t *testing.T) {
	jobs, err := Generate(GenOptions{Seed: 3, Jobs: 200, Start: epoch, MaxNodes: 32, MeanInterarrival: time.Minute,
		DiurnalAmplitude: 0.5, BurstEvery: time.Hour, BurstJobs: 10, MinRuntime: time.Second, MaxRuntime: time.Hour, WalltimeFactor: 3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSWF(&buf, jobs, epoch, 32); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSWF(&buf, SWFOptions{Epoch: epoch, MaxNodes: 32})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Trace{Jobs: jobs, MaxNodes: 32}, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func FuzzReadSWF(f *testing.F) {
	f.Add("; MaxNodes: 4\n1 10 -1 100 4 -1 -1 2 300 -1 1 -1 -1 -1 0 -1 -1 -1\n")
	f.Add("1 0 -1 -1 4 -1 -1 -1 -1\n2 0 -1 5\n")
	f.Add("9223372036854775807 9223372036854775807 -1 9223372036854775807 2147483648 -1 -1 -1 -1\n")
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ReadSWF(strings.NewReader(in), SWFOptions{Epoch: epoch, MaxNodes: 64})
		if err != nil {
			return
		}
		for _, j := range tr.Jobs {
			if j.NNodes < 1 || j.NNodes > 64 || j.Runtime < 0 || j.Walltime < j.Runtime || j.Submit.Before(epoch) {
				t.Errorf("ReadSWF accepted a job the cluster would reject: %+v", j)
			}
		}
	})
}
