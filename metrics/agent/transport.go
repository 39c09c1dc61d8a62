package agent

import (
	"net/http"
	"time"
)

// NewHTTPClient returns the client the controller shares among all its agent clients.
//
// Each policy's feeder long-polls its own agent, so the controller holds one connection per
// agent. The default transport keeps 100 idle connections in all: with more agents than
// that, every long-poll that returns finds its connection closed and dials (and, with TLS,
// handshakes) again. This transport keeps one idle connection per agent however many
// policies there are, a few per agent for a drain during a long-poll, and keeps them idle
// well past a long-poll's wait, so the next poll reuses them.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0 // no limit across agents
	t.MaxIdleConnsPerHost = 4
	t.IdleConnTimeout = 2 * time.Minute
	return &http.Client{Transport: t}
}
