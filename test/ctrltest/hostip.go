package ctrltest

import (
	"net"
	"testing"

	"github.com/fluxscale/fluxscale/autoscaler/hints"
)

// HostIP is an IPv4 address of this machine that an EndpointSlice takes (not loopback or
// link-local), which the hint Service tests publish as a pod IP.
func HostIP(t testing.TB) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && hints.CheckAddress(n.IP.String()) == nil {
			return n.IP.String()
		}
	}
	t.Fatalf("no IPv4 address on this machine that an EndpointSlice takes (not loopback or link-local) among %v", addrs)
	return ""
}
