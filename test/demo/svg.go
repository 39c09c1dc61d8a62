package main

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// Chart geometry, in SVG user units; below the plot come the axis, the legend and one line
// per mark.
const (
	chartW, plotH    = 960, 300
	padL, padR, padT = 50, 20, 40
	plotW            = chartW - padL - padR
	legendY          = padT + plotH + 40
	markLineH        = 15
)

// series is one line of the chart.
type series struct {
	label, color string
	width        float64
	value        func(sample) int32
}

var chartSeries = []series{
	{"node demand (busy + pending job nodes)", "#e8a33d", 2, func(s sample) int32 { return s.demand }},
	{"busy nodes", "#3b9c5a", 2, func(s sample) int32 { return s.busy }},
	{"MiniCluster spec.size", "#2f6fd0", 3, func(s sample) int32 { return s.spec }},
	{"pods Running", "#8fb6f0", 1.5, func(s sample) int32 { return s.pods }},
	{"pending jobs", "#b04a9a", 1, func(s sample) int32 { return s.pending }},
}

// writeSVG draws the samples as step lines over time, with the scenario's marks.
func writeSVG(w io.Writer, samples []sample, marks []mark) error {
	if len(samples) == 0 {
		return fmt.Errorf("no samples to draw")
	}
	end := samples[len(samples)-1].at.Seconds()
	var top int32 = maxSize
	for _, s := range samples {
		for _, sr := range chartSeries {
			top = max(top, sr.value(s))
		}
	}
	chartH := legendY + 2*16 + len(marks)*markLineH + 10
	x := func(sec float64) float64 { return padL + sec/end*plotW }
	y := func(v int32) float64 { return padT + plotH - float64(v)/float64(top)*plotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="15">fluxscale demo: MiniCluster %s, size and Flux queue over time</text>`+"\n", padL, name)
	for v := int32(0); v <= top; v += max(1, top/10) {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n",
			padL, padL+plotW, y(v), y(v), padL-6, y(v)+4, v)
	}
	for sec := 0.0; sec <= end; sec += 10 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.0fs</text>`+"\n", x(sec), padT+plotH+16, sec)
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#c33" stroke-dasharray="6 4"/><text x="%d" y="%.1f" fill="#c33" text-anchor="end">maxSize %d</text>`+"\n",
		padL, padL+plotW, y(maxSize), y(maxSize), padL+plotW, y(maxSize)-4, maxSize)
	for i, m := range marks {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#999" stroke-dasharray="4 3"/>`+"\n", x(m.at.Seconds()), x(m.at.Seconds()), padT, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#666" font-size="10">%d</text>`+"\n", x(m.at.Seconds())+3, padT+10, i+1)
	}
	for _, sr := range chartSeries {
		var pts []string
		for i, s := range samples {
			if i > 0 { // step: hold the previous value until this sample
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.at.Seconds()), y(sr.value(samples[i-1]))))
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.at.Seconds()), y(sr.value(s))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%.1f" points="%s"/>`+"\n", sr.color, sr.width, strings.Join(pts, " "))
	}
	for i, sr := range chartSeries {
		lx := padL + (i%3)*300
		ly := legendY + (i/3)*16
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/><text x="%d" y="%d">%s</text>`+"\n",
			lx, lx+20, ly-4, ly-4, sr.color, lx+26, ly, html.EscapeString(sr.label))
	}
	for i, m := range marks {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#444">%d  at %.1fs: %s</text>`+"\n",
			padL, legendY+2*16+(i+1)*markLineH, i+1, m.at.Seconds(), html.EscapeString(m.label))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
