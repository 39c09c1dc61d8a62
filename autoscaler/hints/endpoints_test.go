package hints

import (
	"context"
	"strings"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func addresses(t *testing.T, e *Endpoints) []string {
	t.Helper()
	s, err := e.Slices.Get(context.Background(), e.Service, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ep := range s.Endpoints {
		out = append(out, ep.Addresses...)
	}
	return out
}

// Against client-go's fake clientset (a fake: no API server validation here; the
// reliability suite's TestHintServiceNamesOnlyTheLeader runs the real one).
func TestEndpointsPublishReplacesAndWithdrawSparesASuccessor(t *testing.T) {
	ctx := context.Background()
	slices := fake.NewClientset().DiscoveryV1().EndpointSlices("fluxscale-system")
	old := &Endpoints{Slices: slices, Service: "fluxscale-hints", Address: "10.0.0.1", Pod: "fluxscale-a"}
	next := &Endpoints{Slices: slices, Service: "fluxscale-hints", Address: "10.0.0.2", Pod: "fluxscale-b"}

	if err := old.Publish(ctx, 8443); err != nil {
		t.Fatal(err)
	}
	if got := addresses(t, old); len(got) != 1 || got[0] != "10.0.0.1" {
		t.Fatalf("after the first leader published: %v, want [10.0.0.1]", got)
	}
	if err := next.Publish(ctx, 8443); err != nil {
		t.Fatal(err)
	}
	// The old leader withdraws late, after its successor published: the slice keeps the successor.
	if err := old.Withdraw(ctx, 8443); err != nil {
		t.Fatal(err)
	}
	if got := addresses(t, next); len(got) != 1 || got[0] != "10.0.0.2" {
		t.Fatalf("after a late withdraw by the old leader: %v, want [10.0.0.2]", got)
	}
	s, err := slices.Get(ctx, "fluxscale-hints", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Labels[discoveryv1.LabelManagedBy] != ManagedBy || s.Labels[discoveryv1.LabelServiceName] != "fluxscale-hints" {
		t.Errorf("labels %v", s.Labels)
	}
	if err := next.Withdraw(ctx, 8443); err != nil {
		t.Fatal(err)
	}
	if got := addresses(t, next); len(got) != 0 {
		t.Fatalf("after the leader withdrew: %v, want none", got)
	}
	if err := next.Withdraw(ctx, 8443); err != nil {
		t.Errorf("a second withdraw: %v", err)
	}
}

func TestCheckAddressAndParseService(t *testing.T) {
	for addr, want := range map[string]string{
		"10.1.2.3":    "",
		"fd00::5":     "",
		"127.0.0.1":   "loopback",
		"169.254.0.9": "link-local",
		"0.0.0.0":     "unspecified",
		"pod-a":       "not an IP address",
	} {
		err := CheckAddress(addr)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckAddress(%q) = %v, want an error with %q", addr, err, want)
		}
	}
	if ns, name, err := ParseService("fluxscale-system/fluxscale-hints"); err != nil || ns != "fluxscale-system" || name != "fluxscale-hints" {
		t.Errorf("ParseService: %q %q %v", ns, name, err)
	}
	for _, bad := range []string{"fluxscale-hints", "Bad_NS/x", "ns/1name"} {
		if _, _, err := ParseService(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseService(%q) = %v, want an error naming it", bad, err)
		}
	}
}
