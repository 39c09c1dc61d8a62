package replay

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

func TestParseExternalSeries(t *testing.T) {
	got, err := ParseExternalSeries(strings.NewReader("offset,value\n# a comment\n0,0\n600,12,3\n\n1800.5,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := ExternalSeries{Points: []ExternalPoint{
		{At: 0, Value: 0, Target: 1},
		{At: 10 * time.Minute, Value: 12, Target: 3},
		{At: 1800500 * time.Millisecond, Value: 2, Target: 1},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseExternalSeries (-want +got):\n%s", diff)
	}
	for name, in := range map[string]string{
		"unsorted":         "600,1\n0,2\n",
		"value not number": "0,lots\n",
		"negative offset":  "-5,1\n",
		"empty":            "# nothing\n",
	} {
		if _, err := ParseExternalSeries(strings.NewReader(in)); err == nil {
			t.Errorf("%s: parsed %q, want an error", name, in)
		}
	}
}

// A recorded series drives the External policy through the replay as a scaler would: not
// active (minSize) before 10 min, ceil(12/3) = 4 until 30 min, then ceil(2/1) = 2 (after the
// default 300 s scale-down window).
func TestExternalSeriesDrivesReplay(t *testing.T) {
	cfg := Config{
		Cluster: simulated.Options{MaxSize: 16, NodeUpDelay: time.Minute},
		Jobs:    []simulated.Job{{ID: 1, Submit: epoch, NNodes: 1, Runtime: time.Hour}},
	}
	spec := v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 16,
		Policies: []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExternal, External: &v1alpha1.ExternalPolicy{Address: "replay:1"}}}}
	feed := ExternalFeed{0: {Points: []ExternalPoint{{At: 0, Value: 0, Target: 1}, {At: 10 * time.Minute, Value: 12, Target: 3},
		{At: 30 * time.Minute, Value: 2, Target: 1}}}}
	if err := feed.Check(&spec); err != nil {
		t.Fatal(err)
	}
	s := NewPolicyScaler("external", spec)
	s.SetExternal(feed)
	r := mustRun(t, cfg, s)
	for _, c := range []struct {
		at   time.Duration
		want int32
	}{
		{5 * time.Minute, 1},
		{11 * time.Minute, 4},
		{34 * time.Minute, 4},
		{36 * time.Minute, 2},
		{50 * time.Minute, 2},
	} {
		if got := sizeAt(r.Series, epoch.Add(c.at)); got != c.want {
			t.Errorf("size at %s: %d, want %d", c.at, got, c.want)
		}
	}
}

func TestExternalFeedCheck(t *testing.T) {
	spec := v1alpha1.ScalingPolicySpec{Policies: []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth},
		{Type: v1alpha1.PolicyExternal, External: &v1alpha1.ExternalPolicy{Address: "s:1"}}}}
	if err := (ExternalFeed{}).Check(&spec); err == nil || !strings.Contains(err.Error(), "policies[1] is External") {
		t.Errorf("no feed: %v, want policies[1] named", err)
	}
	if err := (ExternalFeed{0: ConstantExternal(1, 1), 1: ConstantExternal(1, 1)}).Check(&spec); err == nil ||
		!strings.Contains(err.Error(), "policies[0] is not an External policy") {
		t.Errorf("feed of a QueueDepth policy: %v, want refused", err)
	}
}
