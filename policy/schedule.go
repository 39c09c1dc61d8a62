package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// maxFireSteps bounds the walk to a window's latest fire time. The doubling search in
// latestFire leaves only the fires of one half-interval to walk, so the bound is met only by
// crons firing every minute over many hours; the window is still known to be open then,
// only its end may be reported early.
const maxFireSteps = 1024

// schedule recommends the largest minSize of its open windows. A window opens each time its
// cron fires and stays open for durationMinutes.
type schedule struct {
	windows []v1alpha1.ScheduleWindow
}

func (p schedule) recommend(s *signals) outcome {
	var o outcome
	for i := range p.windows {
		w := &p.windows[i]
		sched, loc, err := parseWindow(w)
		if err != nil {
			o.problems = append(o.problems, fmt.Sprintf("schedule window %d: %v", i, err))
			continue
		}
		d := time.Duration(max(w.DurationMinutes, 0)) * time.Minute
		fired, open := latestFire(sched, s.now.In(loc), d)
		if !open {
			continue
		}
		o.offer(w.MinSize, fmt.Sprintf("window %q open until %s",
			w.Cron, fired.Add(d).Format("2006-01-02 15:04 MST")))
	}
	if o.ok {
		o.rec.Policy = string(v1alpha1.PolicySchedule)
	}
	return o
}

// parseWindow reads a window's five-field cron and its zone (empty: UTC).
func parseWindow(w *v1alpha1.ScheduleWindow) (cron.Schedule, *time.Location, error) {
	spec := strings.TrimSpace(w.Cron)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, nil, fmt.Errorf("cron %q: put the zone in timeZone, not in the expression", w.Cron)
	}
	if strings.HasPrefix(spec, "@") {
		return nil, nil, fmt.Errorf("cron %q: descriptors are not supported: "+
			"write five fields (minute hour day-of-month month day-of-week)", w.Cron)
	}
	if w.TimeZone == "Local" {
		// time.Local is the controller's own zone: the window would move with the pod.
		return nil, nil, fmt.Errorf("timeZone %q depends on the controller's machine: "+
			"use an IANA name such as Europe/Paris, or leave it empty for UTC", w.TimeZone)
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return nil, nil, fmt.Errorf("timeZone %q is not an IANA zone name "+
			"(such as America/New_York): %w", w.TimeZone, err)
	}
	sched, err := cronParser().Parse(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("cron %q is not a five-field cron expression "+
			"(minute hour day-of-month month day-of-week): %w", w.Cron, err)
	}
	return sched, loc, nil
}

// cronParser reads standard five-field expressions, nothing else.
func cronParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
}

// latestFire returns the latest fire time f with f <= now < f+d, if any.
//
// A window is open exactly when sched fires within (now-d, now]; the latest such fire
// gives when it closes. Rather than walking every fire from now-d (a minutely cron over a
// week is 10,080 steps), look back 1, 2, 4... minutes from now for the first span that holds
// a fire, then walk forward within it.
func latestFire(sched cron.Schedule, now time.Time, d time.Duration) (time.Time, bool) {
	first := sched.Next(now.Add(-d))
	if first.IsZero() || first.After(now) {
		return time.Time{}, false
	}
	latest := first
	for back := time.Minute; back < d; back *= 2 {
		if f := sched.Next(now.Add(-back)); !f.IsZero() && !f.After(now) {
			latest = f
			break
		}
	}
	for range maxFireSteps {
		next := sched.Next(latest)
		if next.IsZero() || next.After(now) {
			break
		}
		latest = next
	}
	return latest, true
}
