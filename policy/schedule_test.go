package policy

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has installed

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestSchedule(t *testing.T) {
	weekdays := v1alpha1.ScheduleWindow{Cron: "0 8 * * 1-5", DurationMinutes: 600, MinSize: 4}
	paris := v1alpha1.ScheduleWindow{Cron: "0 8 * * *", TimeZone: "Europe/Paris", DurationMinutes: 60, MinSize: 3}
	at := func(day, h, m, s int) time.Time { return time.Date(2026, 11, day, h, m, s, 0, time.UTC) }
	rec := func(size int32, reason string) outcome {
		return outcome{ok: true, rec: Recommendation{Policy: "Schedule", Size: size, Reason: reason}}
	}
	cases := []struct {
		name    string
		windows []v1alpha1.ScheduleWindow
		now     time.Time
		want    outcome
	}{
		{name: "Monday noon: open", windows: []v1alpha1.ScheduleWindow{weekdays}, now: at(2, 12, 0, 0),
			want: rec(4, `window "0 8 * * 1-5" open until 2026-11-02 18:00 UTC`)},
		{name: "opens at the fire time", windows: []v1alpha1.ScheduleWindow{weekdays}, now: at(2, 8, 0, 0),
			want: rec(4, `window "0 8 * * 1-5" open until 2026-11-02 18:00 UTC`)},
		{name: "closed a second before", windows: []v1alpha1.ScheduleWindow{weekdays}, now: at(2, 7, 59, 59)},
		{name: "open a second before the end", windows: []v1alpha1.ScheduleWindow{weekdays}, now: at(2, 17, 59, 59),
			want: rec(4, `window "0 8 * * 1-5" open until 2026-11-02 18:00 UTC`)},
		{name: "closed at the end", windows: []v1alpha1.ScheduleWindow{weekdays}, now: at(2, 18, 0, 0)},
		{name: "closed on Saturday", windows: []v1alpha1.ScheduleWindow{weekdays}, now: at(7, 10, 0, 0)},
		// 08:00 in Paris is 07:00 UTC in November (CET, UTC+1).
		{name: "time zone: 07:30 UTC is 08:30 in Paris", windows: []v1alpha1.ScheduleWindow{paris}, now: at(2, 7, 30, 0),
			want: rec(3, `window "0 8 * * *" open until 2026-11-02 09:00 CET`)},
		{name: "time zone: 08:30 UTC is past the Paris window", windows: []v1alpha1.ScheduleWindow{paris}, now: at(2, 8, 30, 0)},
		{name: "two open windows: the larger floor", windows: []v1alpha1.ScheduleWindow{paris, weekdays}, now: at(2, 8, 30, 0),
			want: rec(4, `window "0 8 * * 1-5" open until 2026-11-02 18:00 UTC`)},
		{name: "latest fire: every minute 08:00-08:30, five hours long", now: at(2, 12, 0, 0),
			windows: []v1alpha1.ScheduleWindow{{Cron: "0-30 8 * * *", DurationMinutes: 300, MinSize: 2}},
			want:    rec(2, `window "0-30 8 * * *" open until 2026-11-02 13:30 UTC`)},
		{name: "a cron that never fires: closed", now: at(2, 12, 0, 0),
			windows: []v1alpha1.ScheduleWindow{{Cron: "0 0 30 2 *", DurationMinutes: 60, MinSize: 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := schedule{windows: tc.windows}.recommend(&signals{now: tc.now})
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("recommend (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScheduleProblems(t *testing.T) {
	cases := []struct {
		name   string
		window v1alpha1.ScheduleWindow
		want   string
	}{
		{name: "six fields", window: v1alpha1.ScheduleWindow{Cron: "0 0 8 * * 1"}, want: `cron "0 0 8 * * 1" is not a five-field cron`},
		{name: "out of range", window: v1alpha1.ScheduleWindow{Cron: "61 8 * * *"}, want: `cron "61 8 * * *" is not a five-field cron`},
		{name: "descriptor", window: v1alpha1.ScheduleWindow{Cron: "@daily"}, want: "descriptors are not supported"},
		{name: "zone in the expression", window: v1alpha1.ScheduleWindow{Cron: "CRON_TZ=UTC 0 8 * * *"}, want: "put the zone in timeZone"},
		{name: "unknown zone", window: v1alpha1.ScheduleWindow{Cron: "0 8 * * *", TimeZone: "Europe/Atlantis"}, want: `timeZone "Europe/Atlantis" is not an IANA zone`},
		{name: "machine zone", window: v1alpha1.ScheduleWindow{Cron: "0 8 * * *", TimeZone: "Local"}, want: "depends on the controller's machine"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.window.DurationMinutes, tc.window.MinSize = 60, 2
			good := v1alpha1.ScheduleWindow{Cron: "* * * * *", DurationMinutes: 60, MinSize: 3}
			got := schedule{windows: []v1alpha1.ScheduleWindow{tc.window, good}}.recommend(&signals{now: t0})
			if len(got.problems) != 1 || !strings.HasPrefix(got.problems[0], "schedule window 0: ") ||
				!strings.Contains(got.problems[0], tc.want) {
				t.Errorf("problems = %q, want one naming window 0 and containing %q", got.problems, tc.want)
			}
			if !got.ok || got.rec.Size != 3 {
				t.Errorf("the valid window was not used: %+v", got)
			}
		})
	}
}

// countingSchedule counts calls to Next.
type countingSchedule struct {
	cron.Schedule
	calls int
}

func (c *countingSchedule) Next(t time.Time) time.Time {
	c.calls++
	return c.Schedule.Next(t)
}

// TestLatestFireIsCheap: a minutely cron over a week has 10,080 fires in the window; the
// latest is found in a handful of calls.
func TestLatestFireIsCheap(t *testing.T) {
	sched, err := cronParser().Parse("* * * * *")
	if err != nil {
		t.Fatal(err)
	}
	c := &countingSchedule{Schedule: sched}
	now := t0.Add(42 * time.Second)
	got, open := latestFire(c, now, 7*24*time.Hour)
	if !open || !got.Equal(t0) {
		t.Errorf("latestFire = %s, %v; want %s, true", got, open, t0)
	}
	if c.calls > 5 {
		t.Errorf("Next called %d times, want at most 5", c.calls)
	}
}
