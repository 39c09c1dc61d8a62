package main

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"
)

// svgDoc is the part of the chart the test reads.
type svgDoc struct {
	Polylines []struct {
		Stroke string `xml:"stroke,attr"`
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Texts []string `xml:"text"`
}

func TestWriteSVGDrawsEverySeriesWithinThePlot(t *testing.T) {
	samples := []sample{
		{at: 0, spec: 2, pods: 2},
		{at: 5 * time.Second, pending: 3, demand: 14, busy: 2, spec: 6, pods: 4},
		{at: 10 * time.Second, busy: 1, demand: 1, spec: 1, pods: 1},
	}
	marks := []mark{{at: time.Second, label: "burst <16 jobs> & more"}}
	var b strings.Builder
	if err := writeSVG(&b, samples, marks); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("the chart is not well-formed XML: %v\n%s", err, b.String())
	}
	if len(doc.Polylines) != len(chartSeries) {
		t.Fatalf("%d lines drawn, want one per series (%d)", len(doc.Polylines), len(chartSeries))
	}
	for i, pl := range doc.Polylines {
		// A step line has two points per sample after the first.
		pts := strings.Fields(pl.Points)
		if want := 2*len(samples) - 1; len(pts) != want {
			t.Errorf("series %q: %d points, want %d", chartSeries[i].label, len(pts), want)
		}
		for _, p := range pts {
			xs, ys, _ := strings.Cut(p, ",")
			x, errX := strconv.ParseFloat(xs, 64)
			y, errY := strconv.ParseFloat(ys, 64)
			if errX != nil || errY != nil || x < padL || x > padL+plotW || y < padT || y > padT+plotH {
				t.Errorf("series %q: point %q is outside the plot", chartSeries[i].label, p)
			}
		}
	}
	if !strings.Contains(strings.Join(doc.Texts, "\n"), "burst <16 jobs> & more") {
		t.Errorf("the mark's label is missing from the chart's text: %q", doc.Texts)
	}
}
