package reliability

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// replica is one controller with its hint server. Both replicas serve on this machine's
// address, each on its own port (an EndpointSlice refuses loopback addresses), as two pods
// serve on their own IPs.
type replica struct {
	ctrl *runningController
	ip   string
	addr string // ip:port its hint server listens on while it leads
}

func (r *replica) port() int {
	_, p, _ := net.SplitHostPort(r.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// freePort is a port on ip nobody listens on now; the replica listens on it only once it
// leads, as a pod's hint server does on its fixed port.
func freePort(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Two replicas with leader election behind a selectorless hint Service (issue 19, item 12):
// the EndpointSlice names only the leader, whose address takes a hint; the standby does
// not listen. When the leader stops, it withdraws itself, and the standby, once it leads,
// publishes itself and takes hints. At no time does the slice name a replica that does
// not listen.
func TestHintServiceNamesOnlyTheLeader(t *testing.T) {
	e := startEnv(t)
	ns := e.namespace(t, "hintsvc")
	cs := e.Cluster.Client()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "fluxscale-hints", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "hints", Port: 8443}}}}
	if _, err := cs.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createIndexedJob(t, e, ns, "work", 1)
	if err := e.Client.Create(t.Context(), jobPolicy(ns, "p", "work", 4)); err != nil {
		t.Fatal(err)
	}
	serviceAccountWithHintGrant(t, e, ns, "app", []string{"p"})
	app := saToken(t, e, ns, "app", hints.DefaultAudience)

	start := func(ip string) *replica {
		addr := freePort(t, ip)
		store := hints.NewStore(clock.RealClock{}, hints.StoreOptions{})
		srcs := newSources()
		srcs.add("p", ctrltest.NewSim(t, 4))
		opts := controllerOptions{namespace: ns, leaderElection: "fluxscale-hintsvc", hints: store}
		rc := ctrltest.StartController(t, ctrltest.ControllerOptions{
			Config:     e.Config,
			Autoscaler: autoscaler.Options{Sources: srcs, Hints: store},
			Manager:    leaderOptions(opts),
			Add: func(mgr ctrl.Manager) error {
				srv := hints.NewServer(store, mgr.GetClient(), hints.NewKubeReviewer(cs.AuthenticationV1(), cs.AuthorizationV1()),
					clock.RealClock{}, hints.Options{Addr: addr,
						Endpoints: &hints.Endpoints{Slices: cs.DiscoveryV1().EndpointSlices(ns), Service: "fluxscale-hints", Address: ip}})
				return mgr.Add(srv)
			},
		})
		return &replica{ctrl: rc, ip: ip, addr: addr}
	}
	ip := ctrltest.HostIP(t)
	replicas := []*replica{start(ip), start(ip)}

	// published waits until the slice names exactly want (nil: no endpoint) and returns the
	// published address.
	published := func(what string, want *replica) string {
		var addr string
		ctrltest.Eventually(t, 40*time.Second, what, func(ctx context.Context) (bool, string) {
			slice, err := cs.DiscoveryV1().EndpointSlices(ns).Get(ctx, "fluxscale-hints", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			if slice.Labels[discoveryv1.LabelServiceName] != "fluxscale-hints" || slice.Labels[discoveryv1.LabelManagedBy] != hints.ManagedBy {
				return false, fmt.Sprintf("labels %v", slice.Labels)
			}
			var got []string
			for _, ep := range slice.Endpoints {
				got = append(got, ep.Addresses...)
			}
			if want == nil {
				return len(got) == 0, fmt.Sprintf("endpoints %v", got)
			}
			if len(got) != 1 || got[0] != want.ip || len(slice.Ports) != 1 || slice.Ports[0].Port == nil ||
				int(*slice.Ports[0].Port) != want.port() {
				return false, fmt.Sprintf("endpoints %v ports %v", got, slice.Ports)
			}
			addr = net.JoinHostPort(got[0], strconv.Itoa(int(*slice.Ports[0].Port)))
			return true, ""
		})
		return addr
	}
	var leader, standby *replica
	ctrltest.Eventually(t, 30*time.Second, "a leader", func(context.Context) (bool, string) {
		for i, r := range replicas {
			if r.ctrl.IsLeader() {
				leader, standby = r, replicas[1-i]
				return true, ""
			}
		}
		return false, "no leader"
	})
	addr := published("the leader as the only endpoint", leader)
	if code, body := postHint(t, "http://"+addr, "POST", ns, "p", app, `{"size": 2, "ttlSeconds": 60}`); code != http.StatusAccepted {
		t.Fatalf("a hint to the published endpoint %s: %d %s", addr, code, body)
	}
	if standby.ctrl.IsLeader() {
		t.Fatal("both replicas lead")
	}
	if c, err := net.DialTimeout("tcp", standby.addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("the standby listens on %s: a selector on every replica would be harmless, and this test would prove nothing", standby.addr)
	}

	leader.ctrl.Stop(t)
	// The stopped leader withdrew itself, or the standby already replaced it.
	ctrltest.Eventually(t, 40*time.Second, "the stopped leader gone from the slice", func(ctx context.Context) (bool, string) {
		slice, err := cs.DiscoveryV1().EndpointSlices(ns).Get(ctx, "fluxscale-hints", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, ep := range slice.Endpoints {
			for _, a := range ep.Addresses {
				if a == leader.ip {
					return false, "still names " + a
				}
			}
		}
		return true, ""
	})
	addr = published("the new leader as the only endpoint", standby)
	if !standby.ctrl.IsLeader() {
		t.Fatal("the slice names the standby before it leads")
	}
	if code, body := postHint(t, "http://"+addr, "POST", ns, "p", app, `{"size": 3, "ttlSeconds": 60}`); code != http.StatusAccepted {
		t.Fatalf("a hint to the new leader's endpoint %s: %d %s", addr, code, body)
	}
}
