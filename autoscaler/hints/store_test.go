package hints

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

var polA = types.NamespacedName{Namespace: "apps", Name: "a"}

func hint(subject string, size int32, expires time.Duration) policy.Hint {
	return policy.Hint{ID: subject + "-id", Subject: subject, Size: size, Mode: v1alpha1.HintFloor, Expires: t0.Add(expires)}
}

func sizes(hs []policy.Hint) map[string]int32 {
	out := map[string]int32{}
	for _, h := range hs {
		out[h.Subject] = h.Size
	}
	return out
}

func TestStore(t *testing.T) {
	cases := []struct {
		name string
		// run acts on the store and returns what the test compares.
		run  func(t *testing.T, s *Store, clk *clocktesting.FakeClock) any
		want any
	}{
		{
			name: "latest hint per subject replaces the earlier",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				must(t, s.Put(polA, hint("x", 3, time.Minute)))
				must(t, s.Put(polA, hint("y", 5, time.Minute)))
				must(t, s.Put(polA, hint("x", 4, time.Minute)))
				return sizes(s.List(polA))
			},
			want: map[string]int32{"x": 4, "y": 5},
		},
		{
			name: "expired hints are dropped on read",
			run: func(t *testing.T, s *Store, clk *clocktesting.FakeClock) any {
				must(t, s.Put(polA, hint("x", 3, time.Minute)))
				must(t, s.Put(polA, hint("y", 5, 2*time.Minute)))
				clk.Step(time.Minute)
				return sizes(s.List(polA))
			},
			want: map[string]int32{"y": 5},
		},
		{
			name: "list is sorted by subject",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				for _, sub := range []string{"b", "a"} {
					must(t, s.Put(polA, hint(sub, 2, time.Minute)))
				}
				var subs []string
				for _, h := range s.List(polA) {
					subs = append(subs, h.Subject)
				}
				return subs
			},
			want: []string{"a", "b"},
		},
		{
			name: "full policy refuses a new subject until one expires, never a known one",
			run: func(t *testing.T, s *Store, clk *clocktesting.FakeClock) any {
				must(t, s.Put(polA, hint("x", 2, time.Minute)))
				must(t, s.Put(polA, hint("y", 2, 2*time.Minute)))
				var full *FullError
				refused := errors.As(s.Put(polA, hint("z", 2, time.Minute)), &full)
				replaced := s.Put(polA, hint("y", 6, time.Minute)) == nil
				clk.Step(time.Minute)
				later := s.Put(polA, hint("z", 2, 2*time.Minute)) == nil
				return fmt.Sprint(refused, full.RetryAt.Sub(t0), replaced, later)
			},
			want: "true 1m0s true true",
		},
		{
			name: "delete removes only that subject",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				must(t, s.Put(polA, hint("x", 2, time.Minute)))
				must(t, s.Put(polA, hint("y", 2, time.Minute)))
				return fmt.Sprint(s.Delete(polA, "x"), s.Delete(polA, "x"), sizes(s.List(polA)))
			},
			want: "true false map[y:2]",
		},
		{
			name: "seed restores unexpired hints once, keeping the latest-expiring within the cap",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				first := s.Seed(polA, []policy.Hint{hint("x", 2, time.Minute), hint("y", 3, -time.Minute),
					hint("z", 4, 3*time.Minute), hint("w", 5, 2*time.Minute)})
				again := s.Seed(polA, []policy.Hint{hint("v", 9, time.Hour)})
				return fmt.Sprint(first, again, sizes(s.List(polA)))
			},
			want: "true false map[w:5 z:4]",
		},
		{
			name: "seed after a delete does not resurrect",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				s.Delete(polA, "x")
				return fmt.Sprint(s.Seed(polA, []policy.Hint{hint("x", 2, time.Minute)}), len(s.List(polA)))
			},
			want: "false 0",
		},
		{
			name: "forget lets a recreated policy be seeded",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				must(t, s.Put(polA, hint("x", 2, time.Minute)))
				s.Forget(polA)
				return fmt.Sprint(len(s.List(polA)), s.Seed(polA, nil), s.LastReceived(polA).IsZero())
			},
			want: "0 true true",
		},
		{
			name: "an expired hint is refused",
			run: func(t *testing.T, s *Store, _ *clocktesting.FakeClock) any {
				return s.Put(polA, hint("x", 2, 0)) != nil
			},
			want: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(t0)
			s := NewStore(clk, StoreOptions{MaxSubjects: 2})
			if diff := cmp.Diff(tc.want, tc.run(t, s, clk)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTriggersNeverBlock(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	s := NewStore(clk, StoreOptions{TriggerBuffer: 2})
	polB := types.NamespacedName{Namespace: "apps", Name: "b"}
	must(t, s.Put(polA, hint("x", 2, time.Minute)))
	must(t, s.Put(polB, hint("x", 2, time.Minute)))
	// The buffer is full: these return at once and are counted as dropped.
	must(t, s.Put(polA, hint("y", 2, time.Minute)))
	s.Delete(polA, "x")
	s.Delete(polA, "nobody") // no change, no trigger
	if got := s.Dropped(); got != 2 {
		t.Errorf("Dropped = %d, want 2", got)
	}
	var got []types.NamespacedName
	for range 2 {
		ev := <-s.Triggers()
		got = append(got, types.NamespacedName{Namespace: ev.Object.GetNamespace(), Name: ev.Object.GetName()})
	}
	if diff := cmp.Diff([]types.NamespacedName{polA, polB}, got); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
}

func TestLimitersEvictLeastRecentlyUsed(t *testing.T) {
	l := newLimiters(1, 1, 2)
	if ok, _ := l.allow("a", t0); !ok {
		t.Fatal("a's first request refused")
	}
	if ok, wait := l.allow("a", t0); ok || wait != time.Second {
		t.Fatalf("a's second request: allowed %v, wait %v; want refused for 1s", ok, wait)
	}
	l.allow("b", t0)
	l.allow("c", t0) // evicts a
	if got := l.len(); got != 2 {
		t.Errorf("len = %d, want 2", got)
	}
	if ok, _ := l.allow("a", t0); !ok {
		t.Error("a was not evicted: its empty bucket survived past capacity")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
