package replay

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// replayForReport replays a generated day under the default policy and two baselines.
func replayForReport(t *testing.T) (Report, []Result) {
	t.Helper()
	jobs := genJobs(t, 3, 300)
	cfg := Config{Cluster: simulated.Options{MaxSize: 32, NodeUpDelay: time.Minute, Sched: simulated.SchedEASY}, Jobs: jobs}
	scalers := []Scaler{
		NewPolicyScaler("default", v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 32}),
		Static{Label: "static-max", Size: 32}, NewHPAScaler("hpa", 1, 32),
	}
	results, err := RunAll(context.Background(), cfg, scalers, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := Report{Trace: "gen", MaxSize: 32, MinSize: 1, Sched: "easy", Jobs: len(jobs), LowerBoundNodeHours: LowerBoundNodeHours(jobs)}
	for _, r := range results {
		rep.Policies = append(rep.Policies, Summarize(r, rep.LowerBoundNodeHours))
	}
	return rep, results
}

func TestBucketMeansKeepNodeHours(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	r := Result{Name: "p", Start: at(0), End: at(50), Series: []simulated.Sample{
		{Time: at(0), Size: 2, Busy: 1, Demand: 1},
		{Time: at(15), Size: 6, Busy: 4, Demand: 9},               // demand clipped at 8
		{Time: at(25), Size: 6, Suspended: 2, Busy: 4, Demand: 4}, // 4 powered on
	}}
	// Buckets of 10 s over [0, 60): the last one is after the end.
	got := bucketMeans(r, at(0), at(60), 6, 8)
	want := timeline{
		Name: "p",
		Mean: []float64{2, 4, 5, 4, 4}, Min: []float64{2, 2, 4, 4, 4}, Max: []float64{2, 6, 6, 4, 4},
		Busy: []float64{1, 2.5, 4, 4, 4}, Demand: []float64{1, 4.5, 6, 4, 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bucketMeans (-want +got):\n%s", diff)
	}
	var area float64
	for _, v := range got.Mean {
		area += v * 10
	}
	// 2*15 + 6*10 + 4*25 node-seconds.
	if area != 190 {
		t.Errorf("the means hold %v node-seconds, want 190", area)
	}
	zoomed := bucketMeans(r, at(10), at(30), 2, 8)
	if diff := cmp.Diff([]float64{4, 5}, zoomed.Mean); diff != "" {
		t.Errorf("zoomed to 10-30 s (-want +got):\n%s", diff)
	}
}

func TestWaitCDF(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	var recs []simulated.JobRecord
	for i, wait := range []int{30, 0, 10, 20, 40} {
		recs = append(recs, simulated.JobRecord{Job: simulated.Job{ID: uint64(i), Submit: at(0)}, Start: at(wait)})
	}
	recs = append(recs, simulated.JobRecord{Job: simulated.Job{ID: 9, Submit: at(0)}}) // never started
	got := waitCDF(Result{Name: "p", Records: recs}, 3)
	want := cdf{Name: "p", Wait: []float64{0, 20, 40}, Frac: []float64{0.2, 0.6, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waitCDF (-want +got):\n%s", diff)
	}
}

func TestWriteHTMLRejectsABadWindow(t *testing.T) {
	rep, results := replayForReport(t)
	var span time.Duration
	for _, r := range results {
		span = max(span, r.End.Sub(r.Start))
	}
	for _, w := range []Window{{From: time.Hour, To: time.Hour}, {From: -time.Hour}, {From: span + time.Hour}} {
		err := WriteHTML(&bytes.Buffer{}, rep, results, w, "")
		if err == nil || !strings.Contains(err.Error(), "timeline window --from "+w.From.String()) {
			t.Errorf("window %+v: error %v, want one naming the window", w, err)
		}
	}
}

func TestWriteHTMLHoldsTheTableAndTheCommand(t *testing.T) {
	rep, results := replayForReport(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, results, Window{From: time.Hour, To: 3 * time.Hour}, "fluxscale simulate --trace <gen>.swf"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<td>default</td>", "<td>static-max</td>", "<td>hpa</td>", "fluxscale simulate --trace &lt;gen&gt;.swf",
		"from 1.0h to 3.0h after the first submit", `"bucketSeconds":12`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	// The embedded JSON may not close its script element early.
	if strings.Count(page, "</script>") != 2 {
		t.Errorf("the page has %d </script>, want 2", strings.Count(page, "</script>"))
	}
}
