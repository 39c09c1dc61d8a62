// Package scaler is a tiny KEDA external scaler with one metric whose value a test (or the
// README's program, cmd/scaler) sets. It is a real gRPC server speaking KEDA's protocol, with
// knobs to misbehave: slow answers, Unavailable, no StreamIsActive.
package scaler

import (
	"context"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/fluxscale/fluxscale/metrics/external/externalscaler"
)

// Server answers for one metric: IsActive is value != 0, GetMetricSpec gives target,
// GetMetrics gives value. Its methods are safe for concurrent use.
type Server struct {
	pb.UnimplementedExternalScalerServer

	metric string
	target float64

	mu       sync.Mutex
	value    float64
	delay    time.Duration
	down     bool
	noStream bool
	calls    int
	streams  int
	// changed is closed and replaced on every Set, waking every open stream.
	changed chan struct{}
}

// New returns a server for metricName with target per replica and an initial value.
func New(metricName string, target, value float64) *Server {
	return &Server{metric: metricName, target: target, value: value, changed: make(chan struct{})}
}

// Set changes the value and pushes IsActive to every open StreamIsActive.
func (s *Server) Set(value float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = value
	close(s.changed)
	s.changed = make(chan struct{})
}

// Value is the metric's current value.
func (s *Server) Value() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.value
}

// SetDelay makes every unary call wait d before answering (a slow scaler).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetDown makes every unary call fail with Unavailable while down is true.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// DisableStream makes StreamIsActive answer Unimplemented, as a scaler without push does.
func (s *Server) DisableStream() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noStream = true
}

// Calls is how many unary calls the server has answered or refused.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Streams is how many StreamIsActive calls are open: a test waits for the controller's
// stream before it relies on a push.
func (s *Server) Streams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams
}

// Serve serves gRPC on lis until lis closes; stop returns a function that stops the server.
func (s *Server) Serve(lis net.Listener) (stop func()) {
	g := grpc.NewServer()
	pb.RegisterExternalScalerServer(g, s)
	go func() { _ = g.Serve(lis) }()
	return g.Stop
}

// ServeGRPC registers the scaler on g, for callers that bring their own (TLS) server.
func (s *Server) ServeGRPC(g *grpc.Server) { pb.RegisterExternalScalerServer(g, s) }

// enter counts a unary call, waits the delay and returns the value, or Unavailable.
func (s *Server) enter(ctx context.Context) (float64, error) {
	s.mu.Lock()
	s.calls++
	delay, down, value := s.delay, s.down, s.value
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return 0, status.FromContextError(ctx.Err()).Err()
		}
	}
	if down {
		return 0, status.Error(codes.Unavailable, "scaler is down")
	}
	return value, nil
}

// IsActive implements KEDA's IsActive.
func (s *Server) IsActive(ctx context.Context, _ *pb.ScaledObjectRef) (*pb.IsActiveResponse, error) {
	v, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.IsActiveResponse{Result: v != 0}, nil
}

// GetMetricSpec implements KEDA's GetMetricSpec.
func (s *Server) GetMetricSpec(ctx context.Context, _ *pb.ScaledObjectRef) (*pb.GetMetricSpecResponse, error) {
	if _, err := s.enter(ctx); err != nil {
		return nil, err
	}
	return &pb.GetMetricSpecResponse{MetricSpecs: []*pb.MetricSpec{{MetricName: s.metric, TargetSizeFloat: s.target}}}, nil
}

// GetMetrics implements KEDA's GetMetrics.
func (s *Server) GetMetrics(ctx context.Context, req *pb.GetMetricsRequest) (*pb.GetMetricsResponse, error) {
	v, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.GetMetricsResponse{MetricValues: []*pb.MetricValue{{MetricName: s.metric, MetricValueFloat: v}}}, nil
}

// StreamIsActive sends the current answer at once and again after every Set.
func (s *Server) StreamIsActive(_ *pb.ScaledObjectRef, stream grpc.ServerStreamingServer[pb.IsActiveResponse]) error {
	s.mu.Lock()
	s.streams++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.streams--
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		if s.noStream {
			s.mu.Unlock()
			return status.Error(codes.Unimplemented, "StreamIsActive is not implemented")
		}
		value, changed := s.value, s.changed
		s.mu.Unlock()
		if err := stream.Send(&pb.IsActiveResponse{Result: value != 0}); err != nil {
			return err
		}
		select {
		case <-changed:
		case <-stream.Context().Done():
			return nil
		}
	}
}
