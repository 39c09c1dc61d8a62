package external

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/test/scaler"
)

// serve starts s on a real loopback listener and returns its address.
func serve(t *testing.T, s *scaler.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Serve(lis))
	return lis.Addr().String()
}

func newPool(t *testing.T) *Pool {
	p := NewPool()
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestRead(t *testing.T) {
	cases := map[string]struct {
		value float64
		want  Reading
	}{
		"active":   {value: 7, want: Reading{Active: true, Metrics: []Metric{{Name: "backlog", Value: 7, Target: 2}}}},
		"inactive": {value: 0, want: Reading{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			addr := serve(t, scaler.New("backlog", 2, tc.value))
			got, err := newPool(t).Read(context.Background(), Scaler{Address: addr, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadReusesConnection(t *testing.T) {
	s := scaler.New("backlog", 1, 3)
	addr := serve(t, s)
	p := newPool(t)
	for range 3 {
		if _, err := p.Read(context.Background(), Scaler{Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(p.conns); n != 1 {
		t.Errorf("pool holds %d connections after 3 reads of one scaler, want 1", n)
	}
	if got := s.Calls(); got != 9 {
		t.Errorf("scaler answered %d calls, want 9 (IsActive, GetMetricSpec, GetMetrics per read)", got)
	}
}

func TestReadTimeout(t *testing.T) {
	s := scaler.New("backlog", 1, 3)
	s.SetDelay(time.Minute)
	addr := serve(t, s)
	_, err := newPool(t).Read(context.Background(), Scaler{Address: addr, Timeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("Read of a slow scaler: %v, want a timeout naming 50ms", err)
	}
}

func TestReadDown(t *testing.T) {
	s := scaler.New("backlog", 1, 3)
	s.SetDown(true)
	addr := serve(t, s)
	_, err := newPool(t).Read(context.Background(), Scaler{Address: addr, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "IsActive to "+addr) {
		t.Fatalf("Read of a down scaler: %v, want an error naming IsActive and %s", err, addr)
	}
}

func TestStream(t *testing.T) {
	s := scaler.New("backlog", 1, 0)
	addr := serve(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	pushes := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- newPool(t).Stream(ctx, Scaler{Address: addr}, func() { pushes <- struct{}{} }) }()
	<-pushes // the answer a stream opens with
	s.Set(5)
	<-pushes
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Stream after cancel: %v, want nil", err)
	}
}

func TestStreamUnimplemented(t *testing.T) {
	s := scaler.New("backlog", 1, 0)
	s.DisableStream()
	addr := serve(t, s)
	err := newPool(t).Stream(context.Background(), Scaler{Address: addr}, func() {})
	if !errors.Is(err, ErrNoStream) {
		t.Errorf("Stream of a scaler without StreamIsActive: %v, want ErrNoStream", err)
	}
}
