package localcluster

import (
	"net"
	"testing"
)

// A start whose port another process took before etcd bound it is tried again on new ports
// instead of failing the test that asked for a cluster.
func TestStartTriesAgainWhenAPortWasTaken(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	taken := held.Addr().(*net.TCPAddr).Port
	var picks int
	pickPorts = func(n int) ([]int, error) {
		picks++
		ports, err := freePorts(n)
		if err == nil && picks == 1 {
			ports[0] = taken // etcd's client port
		}
		return ports, err
	}
	t.Cleanup(func() { pickPorts = freePorts })

	c, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatalf("start with etcd's first port taken: %v", err)
	}
	c.Stop()
	if picks != 2 {
		t.Errorf("ports picked %d times, want 2 (the taken one, then new ones)", picks)
	}
}
