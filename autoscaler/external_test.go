package autoscaler

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
	"github.com/fluxscale/fluxscale/test/scaler"
)

// A failed External policy: ScalingActive ExternalScalerFailed (True while another policy
// recommends, False when none does), an unhealthy signal naming the error, one Warning
// event on entering the state and none while it stays; a good read shows "SIZE (why)".
func TestExternalFailureConditionSignalAndEvent(t *testing.T) {
	failed := externalResult{index: 1, address: "scaler:9090", err: errors.New("IsActive to scaler:9090: scaler is down")}
	o := outcome{now: t0, generation: 1, target: indexedJob(3), source: v1alpha1.SourceNone,
		decision: withinRange(3), external: []externalResult{failed}}
	st := newStatus(&v1alpha1.ScalingPolicyStatus{}, &o)
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionScalingActive)
	wantMsg := "no size from scaler scaler:9090 (policies[1]): IsActive to scaler:9090: scaler is down; " +
		"that policy is left out and nothing shrinks until it answers"
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonExternalScalerFailed || c.Message != wantMsg {
		t.Errorf("ScalingActive %+v, want True/ExternalScalerFailed %q", c, wantMsg)
	}
	wantSig := v1alpha1.SignalStatus{Name: "external.policies[1]", Message: "IsActive to scaler:9090: scaler is down"}
	if diff := cmp.Diff([]v1alpha1.SignalStatus{wantSig}, st.Signals); diff != "" {
		t.Errorf("signals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Warning/ExternalScalerFailed"}, eventSummary(statusEvents(&v1alpha1.ScalingPolicyStatus{}, &st, t0))); diff != "" {
		t.Errorf("events on entering (-want +got):\n%s", diff)
	}
	again := newStatus(&st, &o)
	if evs := statusEvents(&st, &again, t0); len(evs) != 0 {
		t.Errorf("events while it stays: %v, want none", eventSummary(evs))
	}

	alone := o
	alone.decision = &policy.Decision{Desired: 3, Limit: v1alpha1.ReasonStaleDataHold}
	st = newStatus(&v1alpha1.ScalingPolicyStatus{}, &alone)
	if got := condSummary(&st)[v1alpha1.ConditionScalingActive]; got != "False/"+v1alpha1.ReasonExternalScalerFailed {
		t.Errorf("ScalingActive %q with no other recommendation, want False/ExternalScalerFailed", got)
	}

	good := o
	good.external = []externalResult{{index: 1, address: "scaler:9090", size: 5, at: t0, reading: policy.ExternalReading{
		Active: true, Metrics: []policy.ExternalMetric{{Name: "backlog", Value: 10, Target: 2}}}}}
	st = newStatus(&v1alpha1.ScalingPolicyStatus{}, &good)
	if got := condSummary(&st)[v1alpha1.ConditionScalingActive]; got != "True/"+v1alpha1.ReasonSourceNone {
		t.Errorf("ScalingActive %q after a good read, want True/NoFluxSource", got)
	}
	if len(st.Signals) != 1 || st.Signals[0].Value != "5 (ceil(backlog 10/2))" || !st.Signals[0].Healthy {
		t.Errorf("signals %+v, want healthy 5 (ceil(backlog 10/2))", st.Signals)
	}
}

// readExternal reads a real scaler, turns a bad value into the policy's error, and names a
// missing TLS Secret or key.
func TestReadExternal(t *testing.T) {
	s := scaler.New("backlog", 2, 7)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Serve(lis))
	noCA := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "no-ca", Namespace: ns}, Data: map[string][]byte{"tls.crt": []byte("x")}}
	// The fake client (controller-runtime's) stands in for the API server's Secrets.
	reader := fake.NewClientBuilder().WithObjects(noCA).Build()
	r := newReconciler(reader, reader, nil, nil, nil, Options{Clock: clocktesting.NewFakeClock(t0)})
	t.Cleanup(func() { _ = r.externals.Close() })
	sp := makeScalingPolicy("p", ns).Obj()
	ext := func(e v1alpha1.ExternalPolicy) v1alpha1.PolicySpec {
		return v1alpha1.PolicySpec{Type: v1alpha1.PolicyExternal, External: &e}
	}
	addr := lis.Addr().String()
	sp.Spec.Policies = []v1alpha1.PolicySpec{
		ext(v1alpha1.ExternalPolicy{Address: addr, TimeoutSeconds: 5}),
		{Type: v1alpha1.PolicyQueueDepth},
		ext(v1alpha1.ExternalPolicy{Address: addr, MetricName: "other", TimeoutSeconds: 5}),
		ext(v1alpha1.ExternalPolicy{Address: addr, TLS: &v1alpha1.ExternalTLS{SecretName: "missing"}}),
		ext(v1alpha1.ExternalPolicy{Address: addr, TLS: &v1alpha1.ExternalTLS{SecretName: "no-ca"}}),
	}
	got := r.readExternal(context.Background(), sp, &sp.Spec)
	if len(got) != 4 {
		t.Fatalf("%d results, want 4 (the External policies)", len(got))
	}
	if got[0].index != 0 || got[0].err != nil || got[0].size != 4 {
		t.Errorf("policies[0]: %+v, want size ceil(7/2) = 4", got[0])
	}
	for i, want := range map[int]string{
		1: `has no metric named "other"`,
		2: `external.tls.secretName "missing": no such Secret in namespace team`,
		3: "has no ca.crt",
	} {
		if got[i].err == nil || !strings.Contains(got[i].err.Error(), want) {
			t.Errorf("policies[%d]: %v, want an error containing %q", got[i].index, got[i].err, want)
		}
	}
	// Streams are kept for the policies that could be dialed (0 and 2).
	if n := r.streams.Running(); n != 2 {
		t.Errorf("%d streams registered, want 2", n)
	}
}
