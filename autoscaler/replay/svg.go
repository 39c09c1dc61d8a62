package replay

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// Chart geometry, in SVG user units.
const (
	chartWidth   = 1000
	chartLeft    = 60
	chartRight   = 20
	chartTop     = 50
	panelHeight  = 140
	panelGap     = 45
	chartBuckets = 460
)

// WriteSVG draws one panel per result: the size (blue) and the node demand (orange, busy
// nodes plus what pending jobs ask for, clipped at maxSize) over time. Each series is cut
// into equal time buckets drawn at the bucket's peak, so short spikes stay visible.
func WriteSVG(w io.Writer, results []Result, maxSize int32) error {
	if len(results) == 0 || maxSize < 1 {
		return fmt.Errorf("drawing the chart: no results or max size %d", maxSize)
	}
	start, end := results[0].Start, results[0].End
	for _, r := range results {
		start, end = earlier(start, r.Start), laterOf(end, r.End)
	}
	span := max(end.Sub(start), time.Second)
	plotW := float64(chartWidth - chartLeft - chartRight)
	height := chartTop + len(results)*(panelHeight+panelGap)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(bw, `<text x="%d" y="20" font-size="14">Size (blue) and node demand (orange, clipped at max size %d) over %s</text>`+"\n",
		chartLeft, maxSize, humanSeconds(span.Seconds()))
	for i, r := range results {
		top := float64(chartTop + i*(panelHeight+panelGap))
		y := func(v int64) float64 {
			return top + panelHeight*(1-float64(min(v, int64(maxSize)))/float64(maxSize))
		}
		fmt.Fprintf(bw, `<text x="%d" y="%.1f" font-size="12" font-weight="bold">%s</text>`+"\n", chartLeft, top-6, html.EscapeString(r.Name))
		fmt.Fprintf(bw, `<rect x="%d" y="%.1f" width="%.1f" height="%d" fill="none" stroke="#999"/>`+"\n", chartLeft, top, plotW, panelHeight)
		for _, v := range []int64{0, int64(maxSize) / 2, int64(maxSize)} {
			fmt.Fprintf(bw, `<text x="%d" y="%.1f" text-anchor="end">%d</text><line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/>`+"\n",
				chartLeft-4, y(v)+4, v, chartLeft, chartLeft+plotW, y(v), y(v))
		}
		writeDayTicks(bw, span, plotW, top+panelHeight)
		size, demand := bucketPeaks(r.Series, start, end, r.End, chartBuckets)
		writeSteps(bw, size, plotW, y, "#1f77b4")
		writeSteps(bw, demand, plotW, y, "#ff7f0e")
	}
	fmt.Fprintln(bw, "</svg>")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("drawing the chart: %w", err)
	}
	return nil
}

// writeDayTicks labels the time axis in days, with about eight ticks.
func writeDayTicks(w io.Writer, span time.Duration, plotW, bottom float64) {
	days := span.Hours() / 24
	step := math.Max(1, math.Ceil(days/8))
	if days < 2 {
		step = days / 4
	}
	for d := 0.0; d <= days+1e-9 && step > 0; d += step {
		x := chartLeft + plotW*d/days
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle">%sd</text>`+"\n", x, bottom+14, trimFloat(d))
	}
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// writeSteps draws per-bucket values as a step line; buckets with no value (-1) end it.
func writeSteps(w io.Writer, vals []int64, plotW float64, y func(int64) float64, color string) {
	fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1" points="`, color)
	for i, v := range vals {
		if v < 0 {
			break
		}
		x0 := chartLeft + plotW*float64(i)/float64(len(vals))
		x1 := chartLeft + plotW*float64(i+1)/float64(len(vals))
		fmt.Fprintf(w, "%.1f,%.1f %.1f,%.1f ", x0, y(v), x1, y(v))
	}
	fmt.Fprintln(w, `"/>`)
}

// bucketPeaks cuts [start, end) into n buckets and gives each the peak size and demand of
// the samples (each holding until the next, the last until stop) that overlap it; buckets
// after stop get -1.
func bucketPeaks(series []simulated.Sample, start, end, stop time.Time, n int) (size, demand []int64) {
	size, demand = make([]int64, n), make([]int64, n)
	for i := range n {
		size[i], demand[i] = -1, -1
	}
	span := float64(max(end.Sub(start), time.Second))
	bucket := func(t time.Time) int {
		return min(max(int(float64(t.Sub(start))/span*float64(n)), 0), n-1)
	}
	for i, s := range series {
		until := stop
		if i+1 < len(series) && series[i+1].Time.Before(stop) {
			until = series[i+1].Time
		}
		if until.Before(start) || s.Time.After(stop) {
			continue
		}
		last := bucket(s.Time)
		if until.After(s.Time) {
			// The sample holds until just before the next one starts.
			last = bucket(until.Add(-1))
		}
		for b := bucket(s.Time); b <= last; b++ {
			size[b] = max(size[b], int64(s.Size))
			demand[b] = max(demand[b], s.Demand)
		}
	}
	return size, demand
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
