package external

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/fluxscale/fluxscale/metrics/external/externalscaler"
)

// DefaultTimeout bounds each call when a Scaler sets none.
const DefaultTimeout = 2 * time.Second

// Scaler names one external scaler and what to send it.
type Scaler struct {
	// Address is host:port.
	Address string
	// TLS is nil for a plain connection.
	TLS *TLS
	// Timeout bounds each call (IsActive, GetMetricSpec, each GetMetrics).
	Timeout time.Duration
	// Metadata is sent as scalerMetadata, as a ScaledObject's trigger metadata is by KEDA.
	Metadata map[string]string
	// Name and Namespace fill ScaledObjectRef: the ScalingPolicy's.
	Name, Namespace string
}

// Metric is one metric's value and its value per replica (KEDA's target size).
type Metric struct {
	Name          string
	Value, Target float64
}

// Reading is what one scaler said in one read.
type Reading struct {
	// Active is IsActive's answer; when false Metrics is empty (KEDA does not ask further).
	Active  bool
	Metrics []Metric
}

// Read asks the scaler IsActive, then GetMetricSpec and GetMetrics for each metric, each
// call under s.Timeout. An error names the call and the scaler.
func (p *Pool) Read(ctx context.Context, s Scaler) (Reading, error) {
	c, err := p.conn(s.Address, s.TLS)
	if err != nil {
		return Reading{}, err
	}
	client := pb.NewExternalScalerClient(c)
	ref := s.ref()

	var active *pb.IsActiveResponse
	if err := s.call(ctx, "IsActive", func(ctx context.Context) (err error) {
		active, err = client.IsActive(ctx, ref)
		return err
	}); err != nil {
		return Reading{}, err
	}
	if !active.GetResult() {
		return Reading{}, nil
	}
	var spec *pb.GetMetricSpecResponse
	if err := s.call(ctx, "GetMetricSpec", func(ctx context.Context) (err error) {
		spec, err = client.GetMetricSpec(ctx, ref)
		return err
	}); err != nil {
		return Reading{}, err
	}
	if len(spec.GetMetricSpecs()) == 0 {
		return Reading{}, fmt.Errorf("scaler %s: GetMetricSpec returned no metric: the scaler must name at least one", s.Address)
	}
	r := Reading{Active: true}
	for _, ms := range spec.GetMetricSpecs() {
		var values *pb.GetMetricsResponse
		if err := s.call(ctx, "GetMetrics "+ms.GetMetricName(), func(ctx context.Context) (err error) {
			values, err = client.GetMetrics(ctx, &pb.GetMetricsRequest{ScaledObjectRef: ref, MetricName: ms.GetMetricName()})
			return err
		}); err != nil {
			return Reading{}, err
		}
		value, err := metricValue(values, ms.GetMetricName())
		if err != nil {
			return Reading{}, fmt.Errorf("scaler %s: %w", s.Address, err)
		}
		r.Metrics = append(r.Metrics, Metric{Name: ms.GetMetricName(), Value: value, Target: preferFloat(ms.GetTargetSizeFloat(), ms.GetTargetSize())})
	}
	return r, nil
}

// metricValue picks the value named like the metric (KEDA's scalers answer with one), or the
// only value when the scaler named it differently.
func metricValue(resp *pb.GetMetricsResponse, name string) (float64, error) {
	values := resp.GetMetricValues()
	for _, v := range values {
		if v.GetMetricName() == name {
			return preferFloat(v.GetMetricValueFloat(), v.GetMetricValue()), nil
		}
	}
	if len(values) == 1 {
		return preferFloat(values[0].GetMetricValueFloat(), values[0].GetMetricValue()), nil
	}
	return 0, fmt.Errorf("GetMetrics for %q returned %d values, none named %q", name, len(values), name)
}

// preferFloat follows KEDA: the float field is the current one, the integer field is read
// only when the float is zero (left unset by an older scaler).
func preferFloat(f float64, i int64) float64 {
	if f != 0 {
		return f
	}
	return float64(i)
}

func (s Scaler) ref() *pb.ScaledObjectRef {
	return &pb.ScaledObjectRef{Name: s.Name, Namespace: s.Namespace, ScalerMetadata: s.Metadata}
}

func (s Scaler) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

// call runs one RPC under the timeout and says which call to which scaler failed.
func (s Scaler) call(ctx context.Context, name string, rpc func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	err := rpc(ctx)
	if err == nil {
		return nil
	}
	if status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s to %s: no answer within %s (timeoutSeconds)", name, s.Address, s.timeout())
	}
	return fmt.Errorf("%s to %s: %s", name, s.Address, status.Convert(err).Message())
}
