package replay

import (
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Progress is an Observer printing how far each replay is, for a terminal's stderr: a line
// when a replay passes another tenth of its jobs, or when a second of wall time has passed
// since the last line, and each replay's wall time when it ends. It is safe for concurrent
// use.
type Progress struct {
	mu     sync.Mutex
	w      io.Writer
	clk    clock.PassiveClock
	start  time.Time
	last   time.Time
	tenths map[string]int
}

// NewProgress writes to w, timing lines with clk.
func NewProgress(w io.Writer, clk clock.PassiveClock) *Progress {
	now := clk.Now()
	return &Progress{w: w, clk: clk, start: now, last: now, tenths: map[string]int{}}
}

var _ Observer = (*Progress)(nil)

// Progress notes that the replay called name has done done of total jobs.
func (p *Progress) Progress(name string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tenth := 10 * done / max(total, 1)
	now := p.clk.Now()
	if tenth <= p.tenths[name] && now.Sub(p.last) < time.Second {
		return
	}
	p.tenths[name], p.last = max(tenth, p.tenths[name]), now
	fmt.Fprintf(p.w, "simulate: %s %d%% (%d/%d jobs)\n", name, 100*done/max(total, 1), done, total)
}

// Finished prints the replay's wall time since NewProgress.
func (p *Progress) Finished(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "simulate: %s finished in %s\n", name, p.clk.Since(p.start).Round(time.Millisecond))
}
