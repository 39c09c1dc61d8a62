package autoscaler

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/external"
	"github.com/fluxscale/fluxscale/policy"
)

// The keys of an External policy's TLS Secret, as cert-manager writes them.
const (
	secretCA   = "ca.crt"
	secretCert = "tls.crt"
	secretKey  = "tls.key"
)

// externalResult is one External policy's read in one pass.
type externalResult struct {
	index   int
	address string
	reading policy.ExternalReading
	// size is what policy makes of reading; err why it makes nothing (the scaler's error
	// or a bad value), which the signal and ScalingActive report.
	size int32
	err  error
	// at is when the policy last gave a size: now, or from status when this read failed.
	at time.Time
}

// externalSignal names the status signal of spec.policies[i].
func externalSignal(i int) string { return fmt.Sprintf("external.policies[%d]", i) }

// readExternal reads every External policy's scaler, one after the other, each call within
// its timeoutSeconds, and keeps a StreamIsActive open per policy so a push triggers a pass.
func (r *Reconciler) readExternal(ctx context.Context, sp *v1alpha1.ScalingPolicy, spec *v1alpha1.ScalingPolicySpec) []externalResult {
	key := types.NamespacedName{Namespace: sp.Namespace, Name: sp.Name}
	keep := map[int]bool{}
	var out []externalResult
	for i := range spec.Policies {
		p := &spec.Policies[i]
		if p.Type != v1alpha1.PolicyExternal || p.External == nil {
			continue
		}
		res := externalResult{index: i, address: p.External.Address}
		scaler, err := r.scalerFor(ctx, sp, p.External)
		if err == nil {
			keep[i] = true
			r.streams.Ensure(key, i, scaler)
			res.reading = r.readScaler(ctx, scaler, p.External.MetricName)
		} else {
			res.reading.Err = err.Error()
		}
		res.size, res.err = policy.ExternalSize(res.reading)
		if res.err == nil && !res.reading.Active {
			res.size = spec.MinSize
		}
		if res.err == nil {
			res.at = r.clock.Now()
		} else {
			res.at = signalLastUpdate(&sp.Status, externalSignal(i))
		}
		out = append(out, res)
	}
	r.streams.Retain(key, keep)
	return out
}

// readScaler reads one scaler into the numbers policy takes; metricName, when set, keeps
// only that metric.
func (r *Reconciler) readScaler(ctx context.Context, s external.Scaler, metricName string) policy.ExternalReading {
	got, err := r.externals.Read(ctx, s)
	if err != nil {
		return policy.ExternalReading{Err: err.Error()}
	}
	out := policy.ExternalReading{Active: got.Active}
	for _, m := range got.Metrics {
		if metricName == "" || m.Name == metricName {
			out.Metrics = append(out.Metrics, policy.ExternalMetric{Name: m.Name, Value: m.Value, Target: m.Target})
		}
	}
	if got.Active && len(out.Metrics) == 0 && metricName != "" {
		out.Err = fmt.Sprintf("the scaler at %s has no metric named %q (external.metricName): leave it empty or name one of its metrics", s.Address, metricName)
	}
	return out
}

// scalerFor is what to dial for e, with its TLS material read from the Secret.
func (r *Reconciler) scalerFor(ctx context.Context, sp *v1alpha1.ScalingPolicy, e *v1alpha1.ExternalPolicy) (external.Scaler, error) {
	timeout := time.Duration(e.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = external.DefaultTimeout
	}
	s := external.Scaler{Address: e.Address, Timeout: timeout, Metadata: e.Metadata, Name: sp.Name, Namespace: sp.Namespace}
	if e.TLS == nil {
		return s, nil
	}
	var secret corev1.Secret
	err := r.reader.Get(ctx, types.NamespacedName{Namespace: sp.Namespace, Name: e.TLS.SecretName}, &secret)
	if apierrors.IsNotFound(err) {
		return s, fmt.Errorf("external.tls.secretName %q: no such Secret in namespace %s: create it with %s (and %s, %s for mutual TLS)",
			e.TLS.SecretName, sp.Namespace, secretCA, secretCert, secretKey)
	}
	if err != nil {
		return s, fmt.Errorf("reading the TLS Secret %s/%s: %w", sp.Namespace, e.TLS.SecretName, err)
	}
	ca, cert, key := secret.Data[secretCA], secret.Data[secretCert], secret.Data[secretKey]
	if len(ca) == 0 {
		return s, fmt.Errorf("the TLS Secret %s/%s has no %s: add the CA that signed the scaler's certificate", sp.Namespace, e.TLS.SecretName, secretCA)
	}
	if (len(cert) == 0) != (len(key) == 0) {
		return s, fmt.Errorf("the TLS Secret %s/%s has only one of %s and %s: a client certificate needs both", sp.Namespace, e.TLS.SecretName, secretCert, secretKey)
	}
	s.TLS = &external.TLS{CA: ca, Cert: cert, Key: key, ServerName: e.TLS.ServerName}
	return s, nil
}

// externalInput is the readings by policy index, as policy.Input.External takes them.
func externalInput(rs []externalResult) map[int]policy.ExternalReading {
	if len(rs) == 0 {
		return nil
	}
	out := make(map[int]policy.ExternalReading, len(rs))
	for _, res := range rs {
		out[res.index] = res.reading
	}
	return out
}

// externalSignals are the External policies' signals: "SIZE (why)", or unhealthy with the
// error.
func externalSignals(rs []externalResult) []v1alpha1.SignalStatus {
	var out []v1alpha1.SignalStatus
	for _, res := range rs {
		value := ""
		if res.err == nil {
			value = fmt.Sprintf("%d (%s)", res.size, externalWhy(res.reading))
		}
		out = append(out, signal(externalSignal(res.index), value, res.err == nil, res.at, res.err))
	}
	return out
}

func externalWhy(r policy.ExternalReading) string {
	if !r.Active {
		return "not active: minSize"
	}
	return policy.ExternalTerms(r.Metrics)
}

// externalFailures are the ScalingActive message parts of the External policies that gave
// no size; empty when all did.
func externalFailures(rs []externalResult) []string {
	var out []string
	for _, res := range rs {
		if res.err != nil {
			out = append(out, fmt.Sprintf("no size from scaler %s (policies[%d]): %v; that policy is left out and nothing shrinks until it answers",
				res.address, res.index, res.err))
		}
	}
	return out
}

// signalLastUpdate is the lastUpdate status holds for the signal name (zero: none).
func signalLastUpdate(st *v1alpha1.ScalingPolicyStatus, name string) time.Time {
	for _, s := range st.Signals {
		if s.Name == name && s.LastUpdate != nil {
			return s.LastUpdate.Time
		}
	}
	return time.Time{}
}
