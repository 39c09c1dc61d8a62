package hints

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Server defaults.
const (
	DefaultAddr     = ":8443"
	DefaultAudience = "fluxscale"
	// DefaultRate and DefaultBurst bound each subject's requests (any method).
	DefaultRate  = 1.0
	DefaultBurst = 5
	// DefaultMaxLimiters bounds the subjects whose rate limits are remembered.
	DefaultMaxLimiters = 4096
	// DefaultReviewRate and DefaultReviewBurst bound TokenReviews over all callers, so a
	// flood of bad tokens cannot flood the API server.
	DefaultReviewRate  = 50.0
	DefaultReviewBurst = 100
)

// Options configures a Server; zero fields take the defaults.
type Options struct {
	// Addr is the listen address for Start.
	Addr string
	// CertFile and KeyFile, when both set, make Start serve TLS.
	CertFile, KeyFile string
	// Audience is the audience a caller's token must have (TokenReview spec.audiences).
	Audience string
	// Rate (requests per second) and Burst bound each authenticated subject.
	Rate  float64
	Burst int
	// MaxLimiters bounds the per-subject limiters kept (least recently used evicted).
	MaxLimiters int
	// ReviewRate and ReviewBurst bound TokenReviews over all callers.
	ReviewRate  float64
	ReviewBurst int
	// Recorder, when set, records a HintAccepted event on the policy for each accepted
	// hint. The server records it (not the controller) because only it knows which hint
	// is new: the controller sees a trigger, not what changed.
	Recorder events.EventRecorder
	// Instrument, when set, wraps the handler Serve serves (the controller counts answers
	// by status code for its alerts).
	Instrument func(http.Handler) http.Handler
	// Endpoints, when set, publishes this replica as the hint Service's only endpoint
	// while Serve listens, and withdraws it when Serve stops (see Endpoints).
	Endpoints *Endpoints
}

// Server is the hint API: an http.Handler and a controller-runtime Runnable.
type Server struct {
	store    *Store
	policies client.Reader
	reviewer Reviewer
	clock    clock.PassiveClock
	opts     Options
	limits   *limiters
	reviews  *rate.Limiter
	mux      *http.ServeMux
}

// NewServer returns a Server that keeps hints in store, reads ScalingPolicies through
// policies (the manager's cache) and checks callers with reviewer.
func NewServer(store *Store, policies client.Reader, reviewer Reviewer, clk clock.PassiveClock, opts Options) *Server {
	opts = withDefaults(opts)
	s := &Server{
		store:    store,
		policies: policies,
		reviewer: reviewer,
		clock:    clk,
		opts:     opts,
		limits:   newLimiters(rate.Limit(opts.Rate), opts.Burst, opts.MaxLimiters),
		reviews:  rate.NewLimiter(rate.Limit(opts.ReviewRate), opts.ReviewBurst),
		mux:      http.NewServeMux(),
	}
	s.mux.HandleFunc("/v1/namespaces/{namespace}/scalingpolicies/{name}/hints", s.serveHints)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "no such path %q: the API is /v1/namespaces/{namespace}/scalingpolicies/{name}/hints", r.URL.Path))
	})
	return s
}

func withDefaults(o Options) Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Audience == "" {
		o.Audience = DefaultAudience
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxLimiters <= 0 {
		o.MaxLimiters = DefaultMaxLimiters
	}
	if o.ReviewRate <= 0 {
		o.ReviewRate = DefaultReviewRate
	}
	if o.ReviewBurst <= 0 {
		o.ReviewBurst = DefaultReviewBurst
	}
	return o
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// NeedLeaderElection is true: hints live in this process's memory and only the leader's
// controller reads them, so only the leader listens.
func (s *Server) NeedLeaderElection() bool { return true }

// Start listens on Options.Addr and serves until ctx ends (controller-runtime Runnable).
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listening for hints on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln (TLS when Options has a certificate and key) until ctx ends, then
// shuts down, giving requests in flight up to 10 s. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var handler http.Handler = s
	if s.opts.Instrument != nil {
		handler = s.opts.Instrument(s)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    32 << 10,
		// Requests outlive ctx by the shutdown grace period, so they may finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() {
		if s.opts.CertFile != "" && s.opts.KeyFile != "" {
			errc <- srv.ServeTLS(ln, s.opts.CertFile, s.opts.KeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	logf.FromContext(ctx).Info("serving hints", "addr", ln.Addr().String(), "tls", s.opts.CertFile != "")
	published := make(chan struct{})
	port := int32(ln.Addr().(*net.TCPAddr).Port)
	if e := s.opts.Endpoints; e != nil {
		go func() {
			defer close(published)
			e.publishUntilDone(ctx, port)
		}()
	} else {
		close(published)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serving hints: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if e := s.opts.Endpoints; e != nil {
		// Withdraw first, so new posts go to the next leader rather than to a closing socket.
		<-published
		if err := e.Withdraw(shutdownCtx, port); err != nil {
			logf.FromContext(ctx).Error(err, "withdrawing this replica from the hint Service; the next leader replaces it")
		}
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down the hint server: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving hints: %w", err)
	}
	return nil
}
