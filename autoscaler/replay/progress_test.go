package replay

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestProgressThrottles(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(epoch)
	var b bytes.Buffer
	p := NewProgress(&b, clk)
	for done := 1; done <= 250; done++ {
		p.Progress("p", done, 1000) // 10 % and 20 %: two lines
	}
	clk.SetTime(epoch.Add(500 * time.Millisecond))
	p.Progress("p", 251, 1000) // same tenth, under a second: nothing
	clk.SetTime(epoch.Add(1500 * time.Millisecond))
	p.Progress("p", 252, 1000) // a second since the last line
	p.Finished("p")
	want := "simulate: p 10% (100/1000 jobs)\nsimulate: p 20% (200/1000 jobs)\nsimulate: p 25% (252/1000 jobs)\nsimulate: p finished in 1.5s\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}
