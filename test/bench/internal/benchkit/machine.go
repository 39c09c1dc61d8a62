package benchkit

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Load returns the 1, 5 and 15 minute load averages as /proc/loadavg shows them, so each
// figure can be read against how busy the shared machine was.
func Load() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Machine describes where the figures were taken: cores, memory, Go version and load.
func Machine() string {
	mem := "unknown"
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				mem = strings.Join(strings.Fields(line)[1:], " ")
			}
		}
	}
	return fmt.Sprintf("nproc %d, MemTotal %s, %s %s/%s, load %s, at %s",
		runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, Load(), time.Now().UTC().Format(time.RFC3339))
}

// Usage is the process's resource use so far (getrusage RUSAGE_SELF).
type Usage struct {
	// CPU is user plus system time.
	CPU time.Duration
	// MaxRSSKiB is the peak resident set size in KiB (Linux reports ru_maxrss in KiB).
	MaxRSSKiB int64
	// RSSKiB is the resident set size now (VmRSS in /proc/self/status); 0 when unknown.
	RSSKiB int64
}

// ReadUsage reads the process's resource use.
func ReadUsage() (Usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}, fmt.Errorf("getrusage: %w", err)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return Usage{CPU: cpu, MaxRSSKiB: int64(ru.Maxrss), RSSKiB: currentRSSKiB()}, nil
}

// currentRSSKiB reads VmRSS: ru_maxrss only grows, so it cannot show a later, smaller run.
func currentRSSKiB() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64) // 0 on a malformed line: unknown
				return n
			}
		}
	}
	return 0
}
