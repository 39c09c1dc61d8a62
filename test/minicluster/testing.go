package minicluster

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"k8s.io/client-go/rest"
)

// StartForTest installs the MiniCluster CRD and runs the stand-in operator against cfg until
// t ends. It returns once the stand-in's caches are synced, so MiniClusters created
// afterwards are seen. When t failed, the stand-in's log is added to the test output.
func StartForTest(t testing.TB, cfg *rest.Config, opts StandInOptions) {
	t.Helper()
	if err := Install(t.Context(), cfg); err != nil {
		t.Fatalf("installing MiniCluster CRD: %v", err)
	}
	logs := &lockedLog{}
	mgr, err := NewStandInManager(cfg, opts, funcr.New(logs.write, funcr.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	// Not t.Context(): that is canceled before Cleanup runs, and the manager must stop only
	// after the other cleanups that may still use it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stand-in operator stopped with: %v", err)
		}
		if t.Failed() {
			t.Logf("--- stand-in operator log:\n%s", logs.String())
		}
	})
	syncCtx, cancelSync := context.WithTimeout(t.Context(), time.Minute)
	defer cancelSync()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		t.Fatalf("stand-in operator caches did not sync; log:\n%s", logs.String())
	}
}

// lockedLog collects log lines from the manager's goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) write(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(prefix)
	l.b.WriteString(" ")
	l.b.WriteString(args)
	l.b.WriteString("\n")
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
