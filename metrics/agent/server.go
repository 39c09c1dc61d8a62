package agent

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Options configures a Server.
type Options struct {
	// Source reads and drains Flux: the CLI client with a LocalRunner in the agent, or a
	// simulated cluster. If it also implements flux.Watcher, the server follows its Watch
	// instead of polling, and polls only if Watch says the journals cannot be followed
	// (flux.ErrJournalUnavailable).
	Source flux.Client
	// Interval is how often the server polls Flux (default 1s); also the first pause after
	// a failed Watch, doubled at each failure in a row up to MaxBackoff.
	Interval time.Duration
	// MaxBackoff bounds the pause between failed Watch calls (default 30s).
	MaxBackoff time.Duration
	// ReadTimeout bounds one State read (default 10s).
	ReadTimeout time.Duration
	// MaxWait bounds a long-poll (default DefaultMaxWait).
	MaxWait time.Duration
	// TokenFile holds the bearer token drain and undrain require; it is read on every such
	// request, so a rotated Secret takes effect at once. Empty disables drain and undrain.
	TokenFile string
	// Clock drives polling and long-poll timeouts (default the real clock).
	Clock clock.WithTicker
	// Log receives read failures and drain actions (default discards).
	Log logr.Logger
}

// Server serves Flux state read from Options.Source. Run must be running for the state to
// be read; Handler serves requests.
type Server struct {
	opts     Options
	store    *store
	registry *prometheus.Registry
	// poke asks the poll loop for an immediate read (after a drain or undrain).
	poke chan struct{}
}

// NewServer checks opts and returns a server.
func NewServer(opts Options) (*Server, error) {
	if opts.Source == nil {
		return nil, errors.New("agent server needs a flux source")
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 10 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	s := &Server{opts: opts, store: newStore(opts.Clock.Now()), registry: prometheus.NewRegistry(), poke: make(chan struct{}, 1)}
	if err := s.registry.Register(newStateCollector(s.store)); err != nil {
		return nil, err
	}
	if err := s.registry.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := s.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathState, s.serveState)
	mux.HandleFunc("POST "+PathDrain, s.serveDrain)
	mux.HandleFunc("POST "+PathUndrain, s.serveUndrain)
	mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET "+PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// Run reads Flux until ctx ends: it follows the source's Watch if it has one, else (or once
// the Watch says it cannot follow Flux here) polls every Interval, and at once after a drain
// or undrain.
func (s *Server) Run(ctx context.Context) {
	if w, ok := s.opts.Source.(flux.Watcher); ok {
		err := s.follow(ctx, w)
		if err == nil {
			return
		}
		s.opts.Log.Info("following Flux's journals is not possible here; polling instead", "reason", err.Error(), "interval", s.opts.Interval.String())
	}
	ticker := s.opts.Clock.NewTicker(s.opts.Interval)
	defer ticker.Stop()
	for {
		s.read(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		case <-s.poke:
		}
	}
}

// read reads the state once and publishes it.
func (s *Server) read(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadTimeout)
	defer cancel()
	start := s.opts.Clock.Now()
	st, err := s.opts.Source.State(ctx)
	if errors.Is(ctx.Err(), context.Canceled) {
		return // shutting down: not a failed read
	}
	s.publish(st, err, start)
}

// follow publishes each state the watcher returns, until ctx ends (nil) or the watcher says
// it cannot follow Flux here (that error). A source that does not version its states
// (Version 0) would return at once every time, so it is paced by Interval. After a failure
// the pause doubles, so a broken stream is retried with backoff; while it fails the store
// serves the error, and a controller holds rather than act on an old state.
func (s *Server) follow(ctx context.Context, w flux.Watcher) error {
	var since uint64
	pause := s.opts.Interval
	for ctx.Err() == nil {
		start := s.opts.Clock.Now()
		st, err := w.Watch(ctx, since)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, flux.ErrJournalUnavailable) {
			return err
		}
		s.publish(st, err, start)
		if err == nil && st.Version != 0 {
			since, pause = st.Version, s.opts.Interval
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.opts.Clock.After(pause):
		}
		if err != nil {
			pause = min(2*pause, s.opts.MaxBackoff)
		}
	}
	return nil
}

func (s *Server) publish(st flux.State, err error, start time.Time) {
	if err != nil && !errors.Is(err, context.Canceled) {
		s.opts.Log.Error(err, "reading Flux state")
	}
	s.store.publish(st, err, readInfo{At: start, Duration: s.opts.Clock.Since(start)})
}

// readSoon asks the poll loop for a read now, without blocking if one is already asked.
func (s *Server) readSoon() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}
