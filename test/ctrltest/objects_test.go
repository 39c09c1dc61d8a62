package ctrltest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"
)

// A repeated event merged into a series counts once per occurrence.
func TestEventCountsCountsSeries(t *testing.T) {
	evs := []eventsv1.Event{
		{Reason: "SuccessfulRescale"},
		{Reason: "SuccessfulRescale", Series: &eventsv1.EventSeries{Count: 3}},
		{Reason: "FluxUnreachable"},
	}
	want := map[string]int{"SuccessfulRescale": 4, "FluxUnreachable": 1}
	if diff := cmp.Diff(want, EventCounts(evs)); diff != "" {
		t.Errorf("EventCounts (-want +got):\n%s", diff)
	}
}
