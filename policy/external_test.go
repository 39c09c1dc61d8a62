package policy

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

const scalerAddr = "scaler:9090"

// external makes policies[0] an External policy and feeds it r (none when r is nil).
func (w *inputWrapper) external(r *ExternalReading) *inputWrapper {
	w.in.Spec.Policies = []v1alpha1.PolicySpec{{
		Type:     v1alpha1.PolicyExternal,
		External: &v1alpha1.ExternalPolicy{Address: scalerAddr},
	}}
	w.in.External = nil
	if r != nil {
		w.in.External = map[int]ExternalReading{0: *r}
	}
	return w
}

func active(metrics ...ExternalMetric) *ExternalReading {
	return &ExternalReading{Active: true, Metrics: metrics}
}

func TestExternalSize(t *testing.T) {
	cases := map[string]struct {
		in      ExternalReading
		want    int32
		wantErr string
	}{
		"ceil of value over target":  {in: *active(ExternalMetric{"q", 7, 2}), want: 4},
		"summed over metrics (KEDA)": {in: *active(ExternalMetric{"a", 7, 2}, ExternalMetric{"b", 1, 10}), want: 5},
		"fractional target":          {in: *active(ExternalMetric{"q", 1, 0.25}), want: 4},
		"inactive":                   {in: ExternalReading{}, want: 0},
		"zero value while active":    {in: *active(ExternalMetric{"q", 0, 2}), want: 0},
		"scaler error":               {in: ExternalReading{Err: "IsActive to s:1: scaler is down"}, wantErr: "scaler is down"},
		"no metric":                  {in: *active(), wantErr: "reported no metric"},
		"negative value":             {in: *active(ExternalMetric{"q", -3, 1}), wantErr: `metric "q" has negative value -3`},
		"NaN value":                  {in: *active(ExternalMetric{"q", math.NaN(), 1}), wantErr: `metric "q" has value NaN`},
		"infinite value":             {in: *active(ExternalMetric{"q", math.Inf(1), 1}), wantErr: `metric "q" has value +Inf`},
		"huge value":                 {in: *active(ExternalMetric{"q", 5e9, 1}), wantErr: `metric "q" has value 5e+09, above the limit of 1e+09`},
		"zero target":                {in: *active(ExternalMetric{"q", 3, 0}), wantErr: `metric "q" has target 0`},
		"negative target":            {in: *active(ExternalMetric{"q", 3, -1}), wantErr: `metric "q" has negative target -1`},
		"sum beyond int32":           {in: *active(ExternalMetric{"q", 1e9, 1e-3}), wantErr: "more than any size"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ExternalSize(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ExternalSize = %d, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ExternalSize = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// TestExternalDecide runs External through Decide on a size-4 target of max 10 with idle
// ranks and Immediate shrinking, so any answer the policy gives would show at once.
func TestExternalDecide(t *testing.T) {
	cases := map[string]struct {
		reading     *ExternalReading
		wantDesired int32
		wantRecs    []Recommendation
		wantNote    string
	}{
		"grows by the scaler's arithmetic": {
			reading:     active(ExternalMetric{"backlog", 12, 2}),
			wantDesired: 6,
			wantRecs:    []Recommendation{{Policy: "External", Size: 6, Reason: "scaler scaler:9090: ceil(backlog 12/2) = 6"}},
		},
		"inactive gives minSize": {
			reading:     &ExternalReading{},
			wantDesired: 1,
			wantRecs:    []Recommendation{{Policy: "External", Size: 1, Reason: "scaler scaler:9090 is not active: minSize 1"}},
		},
		"an error holds": {
			reading:     &ExternalReading{Err: "IsActive to scaler:9090: no answer within 2s (timeoutSeconds)"},
			wantDesired: 4,
			wantNote:    "policies[0] (External scaler:9090) gave no size: IsActive to scaler:9090: no answer within 2s",
		},
		"no reading holds": {
			wantDesired: 4,
			wantNote:    "policies[0] (External scaler:9090) gave no size: no reading yet",
		},
		"a negative value holds": {
			reading:     active(ExternalMetric{"backlog", -1, 1}),
			wantDesired: 4,
			wantNote:    `metric "backlog" has negative value -1`,
		},
		"NaN holds": {
			reading:     active(ExternalMetric{"backlog", math.NaN(), 1}),
			wantDesired: 4,
			wantNote:    `metric "backlog" has value NaN`,
		},
		"a huge value holds, not maxSize": {
			reading:     active(ExternalMetric{"backlog", 1e12, 1}),
			wantDesired: 4,
			wantNote:    "above the limit of 1e+09",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := makeInput(4, 10).external(tc.reading).obj()
			d := Decide(in)
			if d.Desired != tc.wantDesired {
				t.Errorf("Desired = %d, want %d (%s)", d.Desired, tc.wantDesired, d.Message)
			}
			if diff := cmp.Diff(tc.wantRecs, d.Recommendations, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Recommendations (-want +got):\n%s", diff)
			}
			if !strings.Contains(d.Message, tc.wantNote) {
				t.Errorf("Message %q does not contain %q", d.Message, tc.wantNote)
			}
		})
	}
}

// TestExternalFailureKeepsOthers: a failing External policy leaves the others' growth in
// force but stops their shrink.
func TestExternalFailureKeepsOthers(t *testing.T) {
	failed := ExternalReading{Err: "scaler is down"}
	grow := makeInput(4, 10).external(&failed).ranks(4, 4).alloc(0, 1, 2, 3).pending(3)
	grow.in.Spec.Policies = append(grow.in.Spec.Policies, v1alpha1.PolicySpec{Type: v1alpha1.PolicyQueueDepth})
	if d := Decide(grow.obj()); d.Desired != 7 {
		t.Errorf("QueueDepth beside a failed External: Desired %d, want 7 (%s)", d.Desired, d.Message)
	}
	shrink := makeInput(4, 10).external(&failed)
	shrink.in.Spec.Policies = append(shrink.in.Spec.Policies, v1alpha1.PolicySpec{Type: v1alpha1.PolicyQueueDepth})
	if d := Decide(shrink.obj()); d.Desired != 4 {
		t.Errorf("idle QueueDepth beside a failed External: Desired %d, want 4 held (%s)", d.Desired, d.Message)
	}
}
