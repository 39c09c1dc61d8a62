package replay

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

func TestBucketPeaks(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	series := []simulated.Sample{
		{Time: at(0), Size: 1, Demand: 1},
		{Time: at(25), Size: 4, Demand: 9}, // a spike inside bucket 2
		{Time: at(27), Size: 2, Demand: 2},
		{Time: at(40), Size: 3, Demand: 3}, // starts exactly at bucket 4
	}
	tests := []struct {
		name             string
		stop             time.Time
		wantSize, wantDm []int64
	}{
		{"peaks per 10 s bucket", at(60), []int64{1, 1, 4, 2, 3, 3}, []int64{1, 1, 9, 2, 3, 3}},
		{"nothing after the replay ended", at(30), []int64{1, 1, 4, -1, -1, -1}, []int64{1, 1, 9, -1, -1, -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size, demand := bucketPeaks(series, at(0), at(60), tc.stop, 6)
			if diff := cmp.Diff(tc.wantSize, size); diff != "" {
				t.Errorf("size (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDm, demand); diff != "" {
				t.Errorf("demand (-want +got):\n%s", diff)
			}
		})
	}
}
