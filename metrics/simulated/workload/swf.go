// Package workload reads and makes job workloads for the simulated Flux cluster: traces in
// the Standard Workload Format (SWF, https://www.cs.huji.ac.il/labs/parallel/workload/swf.html)
// and seeded synthetic workloads with bursts and a daily cycle.
package workload

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// SWF field positions (1-based in the format's description, 0-based here).
const (
	fieldJobID         = 0
	fieldSubmit        = 1
	fieldRunTime       = 3
	fieldAllocatedProc = 4
	fieldRequestedProc = 7
	fieldRequestedTime = 8
	// swfMinFields is how many fields a line needs for the ones read here.
	swfMinFields = fieldRequestedTime + 1
)

// Trace is a workload read from a file.
type Trace struct {
	// Jobs in file order, processors taken as nodes.
	Jobs []simulated.Job
	// MaxNodes is the header's MaxNodes (or MaxProcs) value; 0 when absent.
	MaxNodes int32
	// SkippedWide jobs asked for more nodes than the cluster's max size.
	SkippedWide int
	// SkippedUnknown jobs lacked a submit time, a run time or a processor count (-1).
	SkippedUnknown int
	// ClampedRuntime jobs ran longer than they requested; their run time was cut to the
	// request, since Flux kills a job at its time limit.
	ClampedRuntime int
}

// SWFOptions say how to read an SWF trace.
type SWFOptions struct {
	// Epoch is the wall time of the trace's second 0.
	Epoch time.Time
	// MaxNodes skips (and counts) jobs asking for more nodes; 0 means the header's MaxNodes
	// (or MaxProcs), and no limit when the header has neither.
	MaxNodes int32
}

// ReadSWF reads an SWF trace. Each job asks for its requested processors (field 8) as nodes
// if given, else its allocated processors (field 5); its walltime is the requested time
// (field 9) if given, else its run time (field 4). -1 means unknown; `;` lines are comments
// (the header). A malformed line is an error naming its line number.
func ReadSWF(r io.Reader, opts SWFOptions) (Trace, error) {
	var tr Trace
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(text, ";"); ok {
			readHeader(rest, &tr)
			continue
		}
		job, ok, err := parseSWFLine(text, opts.Epoch)
		if err != nil {
			return Trace{}, fmt.Errorf("SWF line %d: %w", line, err)
		}
		switch {
		case !ok:
			tr.SkippedUnknown++
		case limit(opts, tr) > 0 && job.NNodes > limit(opts, tr):
			tr.SkippedWide++
		default:
			if job.Walltime < job.Runtime {
				job.Runtime = job.Walltime
				tr.ClampedRuntime++
			}
			tr.Jobs = append(tr.Jobs, job)
		}
	}
	if err := sc.Err(); err != nil {
		return Trace{}, fmt.Errorf("reading SWF after line %d: %w", line, err)
	}
	return tr, nil
}

// limit is the widest job kept: the option, else the header's size seen so far.
func limit(opts SWFOptions, tr Trace) int32 {
	if opts.MaxNodes > 0 {
		return opts.MaxNodes
	}
	return tr.MaxNodes
}

// readHeader picks the cluster size out of a header comment ("; MaxNodes: 256").
func readHeader(comment string, tr *Trace) {
	key, value, ok := strings.Cut(comment, ":")
	if !ok {
		return
	}
	switch strings.TrimSpace(key) {
	case "MaxNodes", "MaxProcs":
		if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 32); err == nil && n > 0 && tr.MaxNodes == 0 {
			tr.MaxNodes = int32(n)
		}
	}
}

// parseSWFLine reads one job line; false when a field the simulation needs is unknown.
func parseSWFLine(text string, epoch time.Time) (simulated.Job, bool, error) {
	fields := strings.Fields(text)
	if len(fields) < swfMinFields {
		return simulated.Job{}, false, fmt.Errorf("%d fields, want at least %d", len(fields), swfMinFields)
	}
	var v [swfMinFields]int64
	for _, i := range []int{fieldJobID, fieldSubmit, fieldRunTime, fieldAllocatedProc, fieldRequestedProc, fieldRequestedTime} {
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil || n < -1 {
			return simulated.Job{}, false, fmt.Errorf("field %d is %q, want an integer >= -1", i+1, fields[i])
		}
		v[i] = n
	}
	if v[fieldJobID] < 0 {
		return simulated.Job{}, false, fmt.Errorf("job id %d: want a number >= 0", v[fieldJobID])
	}
	const maxSeconds = int64(100 * 365 * 24 * 3600) // bounds durations far from overflow
	for _, i := range []int{fieldSubmit, fieldRunTime, fieldRequestedTime} {
		if v[i] > maxSeconds {
			return simulated.Job{}, false, fmt.Errorf("field %d is %d s, more than a century", i+1, v[i])
		}
	}
	nodes := v[fieldRequestedProc]
	if nodes <= 0 {
		nodes = v[fieldAllocatedProc]
	}
	if nodes > int64(1<<30) {
		return simulated.Job{}, false, fmt.Errorf("job %d asks for %d processors", v[fieldJobID], nodes)
	}
	if v[fieldSubmit] < 0 || v[fieldRunTime] < 0 || nodes <= 0 {
		return simulated.Job{}, false, nil
	}
	j := simulated.Job{
		ID:      uint64(v[fieldJobID]),
		Submit:  epoch.Add(time.Duration(v[fieldSubmit]) * time.Second),
		NNodes:  int32(nodes),
		Runtime: time.Duration(v[fieldRunTime]) * time.Second,
	}
	j.Walltime = j.Runtime
	if v[fieldRequestedTime] > 0 {
		j.Walltime = time.Duration(v[fieldRequestedTime]) * time.Second
	}
	return j, true, nil
}

// WriteSWF writes jobs as SWF lines (18 fields, unknown ones -1), with a header giving the
// max nodes, so a generated workload can be replayed by `fluxscale simulate`.
func WriteSWF(w io.Writer, jobs []simulated.Job, epoch time.Time, maxNodes int32) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "; Version: 2\n; Note: generated by fluxscale\n; MaxJobs: %d\n; MaxNodes: %d\n", len(jobs), maxNodes)
	for _, j := range jobs {
		wall := j.Walltime
		if wall == 0 {
			wall = j.Runtime
		}
		fmt.Fprintf(bw, "%d %d -1 %d %d -1 -1 %d %d -1 1 -1 -1 -1 -1 -1 -1 -1\n",
			j.ID, int64(j.Submit.Sub(epoch)/time.Second), int64(j.Runtime/time.Second), j.NNodes,
			j.NNodes, int64(wall/time.Second))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing SWF: %w", err)
	}
	return nil
}
