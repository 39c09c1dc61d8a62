package replay

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// timelineBuckets is how many columns the HTML timeline has: about one per pixel.
const timelineBuckets = 600

// cdfPoints is how many points each wait-time CDF keeps.
const cdfPoints = 200

// Window is the part of the replay the timeline shows, as offsets from the first submit;
// a zero To means the end of the longest replay.
type Window struct {
	From, To time.Duration
}

// pageData is everything the HTML report's script draws. It holds no wall-clock time, so
// one replay always gives the same page.
type pageData struct {
	Command string `json:"command"`
	Report  Report `json:"report"`
	// FromSeconds and ToSeconds bound the timeline; BucketSeconds is one column's width.
	FromSeconds   float64    `json:"fromSeconds"`
	ToSeconds     float64    `json:"toSeconds"`
	BucketSeconds float64    `json:"bucketSeconds"`
	Timeline      []timeline `json:"timeline"`
	CDF           []cdf      `json:"cdf"`
}

// timeline is one replay's shape per bucket. Mean values are time-weighted, so the area
// under Mean is the replay's node-hours in the window; Min and Max bound the size within
// each bucket. The size is the nodes that cost: suspended ranks (slurm-power-save) are
// left out. Buckets after the replay ended are left out (the arrays are shorter).
type timeline struct {
	Name   string    `json:"name"`
	Mean   []float64 `json:"mean"`
	Min    []float64 `json:"min"`
	Max    []float64 `json:"max"`
	Busy   []float64 `json:"busy"`
	Demand []float64 `json:"demand"`
}

// cdf is the fraction of started jobs (Frac) that waited at most Wait seconds.
type cdf struct {
	Name string    `json:"name"`
	Wait []float64 `json:"wait"`
	Frac []float64 `json:"frac"`
}

// buildPage computes the page's series from the replays; w must lie within them.
func buildPage(rep Report, results []Result, w Window, command string) (pageData, error) {
	if len(results) == 0 {
		return pageData{}, fmt.Errorf("building the report: no replay to show")
	}
	start, end := results[0].Start, results[0].End
	for _, r := range results {
		start, end = earlier(start, r.Start), laterOf(end, r.End)
	}
	span := end.Sub(start)
	to := w.To
	if to == 0 {
		to = span
	}
	if w.From < 0 || to <= w.From || w.From >= span {
		return pageData{}, fmt.Errorf("timeline window --from %s --to %s: want 0 <= from < to, from before the replay's end (%s)",
			w.From, to, span.Round(time.Second))
	}
	p := pageData{
		Command: command, Report: rep,
		FromSeconds: w.From.Seconds(), ToSeconds: to.Seconds(),
		BucketSeconds: (to - w.From).Seconds() / timelineBuckets,
	}
	for _, r := range results {
		p.Timeline = append(p.Timeline, bucketMeans(r, start.Add(w.From), start.Add(to), timelineBuckets, rep.MaxSize))
		p.CDF = append(p.CDF, waitCDF(r, cdfPoints))
	}
	return p, nil
}

// bucketMeans cuts [from, to) into n buckets and integrates r's samples (each holding until
// the next, the last until r.End) over each one. Demand is clipped at maxSize, as the
// cluster can never be larger.
func bucketMeans(r Result, from, to time.Time, n int, maxSize int32) timeline {
	width := to.Sub(from).Seconds() / float64(n)
	covered := n
	if r.End.Before(to) {
		covered = min(n, int(math.Ceil(r.End.Sub(from).Seconds()/width)))
	}
	covered = max(covered, 0)
	t := timeline{Name: r.Name, Mean: make([]float64, covered), Busy: make([]float64, covered), Demand: make([]float64, covered),
		Min: make([]float64, covered), Max: make([]float64, covered)}
	for i := range covered {
		t.Min[i] = math.Inf(1)
	}
	for i, s := range r.Series {
		until := r.End
		if i+1 < len(r.Series) {
			until = r.Series[i+1].Time
		}
		lo, hi := max(s.Time.Sub(from).Seconds(), 0), min(until.Sub(from).Seconds(), float64(covered)*width)
		if hi <= lo {
			continue
		}
		demand := float64(min(s.Demand, int64(maxSize)))
		size := float64(s.Size - s.Suspended)
		for b := int(lo / width); b < covered && float64(b)*width < hi; b++ {
			overlap := math.Min(hi, float64(b+1)*width) - math.Max(lo, float64(b)*width)
			if overlap <= 0 {
				continue
			}
			t.Mean[b] += size * overlap / width
			t.Busy[b] += float64(s.Busy) * overlap / width
			t.Demand[b] += demand * overlap / width
			t.Min[b], t.Max[b] = math.Min(t.Min[b], size), math.Max(t.Max[b], size)
		}
	}
	for i := range covered {
		if math.IsInf(t.Min[i], 1) {
			t.Min[i] = t.Mean[i]
		}
	}
	return t
}

// waitCDF keeps up to points of the sorted waits of r's started jobs, the first and last
// always among them.
func waitCDF(r Result, points int) cdf {
	var waits []float64
	for _, rec := range r.Records {
		if !rec.Start.IsZero() {
			waits = append(waits, rec.Start.Sub(rec.Submit).Seconds())
		}
	}
	c := cdf{Name: r.Name}
	n := len(waits)
	if n == 0 {
		return c
	}
	slices.Sort(waits)
	k := min(points, n)
	for i := range k {
		idx := n - 1
		if k > 1 {
			idx = i * (n - 1) / (k - 1)
		}
		c.Wait = append(c.Wait, waits[idx])
		c.Frac = append(c.Frac, float64(idx+1)/float64(n))
	}
	return c
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
