package localcluster

import "testing"

// StartForTest starts a cluster for t and stops it in t.Cleanup. It fails the test (never
// skips it) when the binaries are missing, telling the user to run `make tools`. When the
// test failed, the tail of every component log is added to the test output.
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("starting local cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.procs {
				t.Logf("--- %s log tail (%s):\n%s", p.name, p.logPath, p.logTail())
			}
		}
		c.Stop()
	})
	return c
}
