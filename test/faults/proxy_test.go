package faults

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/agent"
)

// A long-poll through the proxy is cut by Down, new requests fail while it is down, and
// work again after Up.
func TestProxyCutsLongPoll(t *testing.T) {
	sim := newSimForTest(t)
	srv, err := agent.NewServer(agent.Options{Source: sim})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { defer close(ran); srv.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	p, err := NewProxy(hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// One connection per request, so the accepted count tells when the Watch is in flight.
	noReuse := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	c, err := agent.NewClient(p.URL(), agent.ClientOptions{Wait: 30 * time.Second, HTTPClient: noReuse})
	if err != nil {
		t.Fatal(err)
	}
	var version uint64
	deadline := time.Now().Add(10 * time.Second)
	for version == 0 { // the agent publishes its first state shortly after Run starts
		s, err := c.State(t.Context())
		if err == nil {
			version = s.Version
		} else if time.Now().After(deadline) {
			t.Fatalf("no state through the proxy: %v", err)
		}
	}
	base, _ := p.Counts()
	got := make(chan error, 1)
	go func() {
		_, err := c.Watch(t.Context(), version) // nothing changes: it waits
		got <- err
	}()
	for {
		if _, dropped := p.Counts(); dropped > 0 {
			break
		}
		if accepted, _ := p.Counts(); accepted > base { // the Watch's connection is open
			p.Down()
			continue
		}
		select {
		case err := <-got:
			t.Fatalf("the long-poll returned before the cut: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	select {
	case err := <-got:
		if err == nil {
			t.Fatal("the cut long-poll returned no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll was not cut within 10s of Down")
	}
	if _, err := c.State(t.Context()); err == nil {
		t.Error("State through a proxy that is down: no error")
	}
	p.Up()
	if _, err := c.State(t.Context()); err != nil {
		t.Errorf("State after Up: %v", err)
	}
}
