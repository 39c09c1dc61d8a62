package liveflux

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/test/liveflux"
)

// BenchmarkRead measures one State read by each reader on a live instance with 10 and with
// 1,100 active jobs: wall time per read (ns/op) and the CPU the reader's processes used
// (cpu-s/op, from the children's rusage; the broker's own work is not in it).
//
//	FLUXSCALE_BIN=$PWD/bin go test -run '^$' -bench BenchmarkRead -benchtime 10x ./test/integration/liveflux/
func BenchmarkRead(b *testing.B) {
	for _, jobs := range []int{10, 1100} {
		in := liveflux.Start(b, liveflux.Options{Size: 2})
		in.MustRun("submit", "-N1", "sleep", "600")
		in.MustRun("submit", "--quiet", fmt.Sprintf("--cc=1-%d", jobs-1), "--urgency=hold", "true")
		in.WaitFor(fmt.Sprintf("%d active jobs", jobs), func() bool {
			out, err := in.Run("jobs", "-A", "-c", "0", "-n", "-o", "{id}")
			return err == nil && strings.Count(out, "\n") == jobs
		})
		for name, c := range readers(in) {
			b.Run(fmt.Sprintf("%s/jobs=%d", name, jobs), func(b *testing.B) {
				before := childCPU(b)
				for b.Loop() {
					st, err := c.State(b.Context())
					if err != nil {
						b.Fatal(err)
					}
					if len(st.Jobs) != jobs {
						b.Fatalf("read %d jobs, want %d", len(st.Jobs), jobs)
					}
				}
				b.ReportMetric((childCPU(b)-before).Seconds()/float64(b.N), "cpu-s/op")
			})
		}
		in.Stop()
	}
}

// childCPU is the user+system time of this process's waited-for children.
func childCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
