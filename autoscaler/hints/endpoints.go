package hints

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/utils/ptr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// ManagedBy is the endpointslice.kubernetes.io/managed-by value of the slice Endpoints
// writes, so that Kubernetes' own EndpointSlice controllers leave it alone (a label value:
// no slash).
const ManagedBy = "controller.fluxscale.dev"

// Endpoints makes the replica that serves hints the only endpoint of the hint Service.
//
// Hints live in the leader's memory and only the leader listens. A Service that selected every
// replica would send a share of the posts to replicas that do not listen (during a rolling
// update, or with replicas: 2). Readiness cannot fix that: a standby that is never ready stalls
// the Deployment's rollout. So the Service has no selector, and the leader writes its
// EndpointSlice: itself when it starts listening, nobody when it stops. A leader that dies
// without withdrawing leaves its address until the next leader overwrites it; posts meanwhile
// fail to connect, as they would with no leader.
type Endpoints struct {
	// Slices writes EndpointSlices in the Service's namespace.
	Slices discoveryclient.EndpointSliceInterface
	// Service is the name of the selectorless hint Service; its slice has the same name.
	Service string
	// Address is this replica's pod IP.
	Address string
	// Pod, when set, is this replica's pod name, recorded as the endpoint's targetRef.
	Pod string
}

// ParseService splits a -hint-service value, "namespace/name".
func ParseService(s string) (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(s, "/")
	if !ok {
		return "", "", fmt.Errorf("%q is not namespace/name: name the hint Service as, e.g., fluxscale-system/fluxscale-hints", s)
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return "", "", fmt.Errorf("namespace %q of %q is not valid: %s", namespace, s, errs[0])
	}
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return "", "", fmt.Errorf("Service name %q of %q is not valid: %s", name, s, errs[0])
	}
	return namespace, name, nil
}

// CheckAddress reports whether addr can be published as an endpoint: an IP address that the
// API server takes in an EndpointSlice (not loopback, link-local or unspecified).
func CheckAddress(addr string) error {
	ip := net.ParseIP(addr)
	if ip == nil {
		return fmt.Errorf("%q is not an IP address: pass the pod's IP (status.podIP through the downward API)", addr)
	}
	if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() {
		return fmt.Errorf("%s is a loopback, link-local or unspecified address, which an EndpointSlice refuses: pass the pod's IP (status.podIP)", addr)
	}
	return nil
}

// Publish makes this replica, listening on port, the slice's only endpoint.
func (e *Endpoints) Publish(ctx context.Context, port int32) error {
	want := e.slice(port)
	got, err := e.Slices.Get(ctx, e.Service, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = e.Slices.Create(ctx, want, metav1.CreateOptions{})
		return wrap(err, "creating", e.Service)
	}
	if err != nil {
		return wrap(err, "reading", e.Service)
	}
	if got.Labels == nil {
		got.Labels = map[string]string{}
	}
	maps.Copy(got.Labels, want.Labels)
	got.AddressType, got.Endpoints, got.Ports = want.AddressType, want.Endpoints, want.Ports
	_, err = e.Slices.Update(ctx, got, metav1.UpdateOptions{})
	return wrap(err, "updating", e.Service)
}

// Withdraw empties the slice if it still names this replica listening on port. A replica
// that lost the lease may withdraw after the next leader published: the check, under the
// slice's resourceVersion, keeps it from removing its successor.
func (e *Endpoints) Withdraw(ctx context.Context, port int32) error {
	got, err := e.Slices.Get(ctx, e.Service, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return wrap(err, "reading", e.Service)
	}
	if !e.named(got, port) {
		return nil
	}
	got.Endpoints = []discoveryv1.Endpoint{}
	_, err = e.Slices.Update(ctx, got, metav1.UpdateOptions{})
	return wrap(err, "emptying", e.Service)
}

// publishUntilDone publishes, retrying with backoff until it succeeds or ctx ends: the API
// server may be briefly unreachable when a new leader starts.
func (e *Endpoints) publishUntilDone(ctx context.Context, port int32) {
	log := logf.FromContext(ctx).WithValues("service", e.Service, "address", e.Address, "port", port)
	backoff := wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 10, Cap: 30 * time.Second}
	for {
		err := e.Publish(ctx, port)
		if err == nil {
			log.Info("published this replica as the hint Service's endpoint")
			return
		}
		log.Error(err, "publishing the hint Service's endpoint; posts cannot reach this replica until it succeeds")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff.Step()):
		}
	}
}

// named reports whether s sends traffic to this replica: its address, on port.
func (e *Endpoints) named(s *discoveryv1.EndpointSlice, port int32) bool {
	if !slices.ContainsFunc(s.Ports, func(p discoveryv1.EndpointPort) bool { return p.Port != nil && *p.Port == port }) {
		return false
	}
	return slices.ContainsFunc(s.Endpoints, func(ep discoveryv1.Endpoint) bool { return slices.Contains(ep.Addresses, e.Address) })
}

func (e *Endpoints) slice(port int32) *discoveryv1.EndpointSlice {
	family := discoveryv1.AddressTypeIPv4
	if ip := net.ParseIP(e.Address); ip != nil && ip.To4() == nil {
		family = discoveryv1.AddressTypeIPv6
	}
	ep := discoveryv1.Endpoint{
		Addresses:  []string{e.Address},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
	}
	if e.Pod != "" {
		ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: e.Pod}
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: e.Service, Labels: map[string]string{
			discoveryv1.LabelServiceName: e.Service,
			discoveryv1.LabelManagedBy:   ManagedBy,
		}},
		AddressType: family,
		Endpoints:   []discoveryv1.Endpoint{ep},
		// The name matches the Service's port, which is how a Service port finds its
		// endpoints' port.
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("hints"), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
}

func wrap(err error, verb, name string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s EndpointSlice %s: %w", verb, name, err)
}
