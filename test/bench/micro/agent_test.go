package micro

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// servedAgent is the real agent server over a simulated 256-rank Flux cluster with 1,000
// jobs (some running, most pending), on a loopback httptest server.
func servedAgent(b *testing.B) string {
	b.Helper()
	sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: 256, InitialSize: 256, CoresPerNode: 64})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if err := sim.Submit(simulated.Job{ID: uint64(i + 1), NNodes: int32(i%16 + 1), Runtime: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := agent.NewServer(agent.Options{Source: sim})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(func() { hs.Close(); cancel(); <-done })
	// Bounded wait for the first read to be published (the server answers 503 until then).
	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, _ := get(http.DefaultClient, hs.URL+agent.PathState); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the agent served no state within 10s")
		}
		time.Sleep(10 * time.Millisecond) // a benchmark's setup, not a test assertion
	}
	return hs.URL
}

func get(c *http.Client, url string) (int, int64) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n
}

// BenchmarkAgentServe measures requests per second over loopback with N concurrent
// clients (N = parallelism x GOMAXPROCS). GET /healthz on the same server, in the same run,
// is the baseline: the HTTP and loopback cost without any state encoding.
func BenchmarkAgentServe(b *testing.B) {
	base := servedAgent(b)
	for _, path := range []string{agent.PathHealthz, agent.PathState} {
		for _, par := range []int{1, 8} {
			b.Run(path[1:]+"/clients="+strconv.Itoa(par)+"xGOMAXPROCS", func(b *testing.B) {
				tr := &http.Transport{MaxIdleConnsPerHost: 256}
				defer tr.CloseIdleConnections()
				c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				b.SetParallelism(par)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if code, n := get(c, base+path); code != http.StatusOK || n == 0 {
							b.Errorf("GET %s: %d, %d bytes", path, code, n)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		}
	}
}
