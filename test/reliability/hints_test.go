package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// hintCase is one request to the hint API that must be refused.
type hintCase struct {
	name   string
	method string
	// ns and policy name the URL; default the test's policy.
	ns, policy string
	// token is the bearer token; "" sends none.
	token string
	body  string
	want  int
}

// Bad input and bad callers of the hint API, on the real API server (TokenReview and
// SubjectAccessReview) with the controller running: every request is refused with the
// status that says why, the hint store is unchanged after each, and status.activeHints is
// unchanged after the controller reconciled again. Only a verified token of the hint
// audience whose subject may create scalingpolicies/hints on that very policy acts.
func TestHintAPIRejectsBadInputAndCallers(t *testing.T) {
	e := startEnv(t)
	ns, elsewhere := e.namespace(t, "hints"), e.namespace(t, "elsewhere")
	store := hints.NewStore(clock.RealClock{}, hints.StoreOptions{})
	srcs := newSources()
	sim := ctrltest.NewSim(t, 4)
	srcs.add("p", sim)
	rc := startController(t, e, srcs, controllerOptions{hints: store})
	base := startHintServer(t, e, store)
	createIndexedJob(t, e, ns, "work", 1)
	startMirror(t, e, sim, ns, "work")
	for _, p := range []struct {
		ns, name string
		enabled  bool
	}{{ns, "p", true}, {ns, "p2", true}, {ns, "quiet", false}, {elsewhere, "p", true}} {
		sp := jobPolicy(p.ns, p.name, "work", 4)
		sp.Spec.Hints = v1alpha1.HintsSpec{Enabled: ptr.To(p.enabled), MaxTTLSeconds: 600}
		if err := e.Client.Create(t.Context(), sp); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(sa string, policies ...string) {
		serviceAccountWithHintGrant(t, e, ns, sa, policies)
	}
	grant("app", "p", "quiet", "missing")
	grant("p2-only", "p2")
	app := saToken(t, e, ns, "app", hints.DefaultAudience)
	key := types.NamespacedName{Namespace: ns, Name: "p"}

	// One good hint, so there is state that must survive the bad requests.
	if code, body := postHint(t, base, "POST", ns, "p", app, `{"size": 2, "ttlSeconds": 600, "reason": "phase 2"}`); code != http.StatusAccepted {
		t.Fatalf("the good hint: %d %s", code, body)
	}
	ctrltest.Eventually(t, 30*time.Second, "the hint in status.activeHints", func(ctx context.Context) (bool, string) {
		st, err := policyStatus(ctx, e, ns, "p")
		return err == nil && len(st.ActiveHints) == 1, fmt.Sprintf("%+v %v", st.ActiveHints, err)
	})
	before := store.List(key)
	statusBefore, err := policyStatus(t.Context(), e, ns, "p")
	if err != nil {
		t.Fatal(err)
	}

	otherAudience := saToken(t, e, ns, "app") // the API server's own audience
	p2Only := saToken(t, e, ns, "p2-only", hints.DefaultAudience)
	cases := []hintCase{
		{name: "oversize body", body: `{"size": 2, "reason": "` + strings.Repeat("x", hints.MaxBodyBytes) + `"}`, want: 413},
		{name: "size of the wrong type", body: `{"size": "lots"}`, want: 400},
		{name: "ttl of the wrong type", body: `{"size": 2, "ttlSeconds": "10m"}`, want: 400},
		{name: "reason of the wrong type", body: `{"size": 2, "reason": 7}`, want: 400},
		{name: "fractional size", body: `{"size": 2.5}`, want: 400},
		{name: "negative size", body: `{"size": -3}`, want: 400},
		{name: "zero size", body: `{"size": 0}`, want: 400},
		{name: "size above maxSize", body: `{"size": 5}`, want: 400},
		{name: "size beyond int32", body: `{"size": 2147483648}`, want: 400},
		{name: "huge size", body: `{"size": 1e300}`, want: 400},
		{name: "ttl beyond maxTTLSeconds", body: `{"size": 2, "ttlSeconds": 601}`, want: 400},
		{name: "zero ttl", body: `{"size": 2, "ttlSeconds": 0}`, want: 400},
		{name: "negative ttl", body: `{"size": 2, "ttlSeconds": -60}`, want: 400},
		{name: "size and delta", body: `{"size": 2, "delta": 1}`, want: 400},
		{name: "neither size nor delta", body: `{"ttlSeconds": 60}`, want: 400},
		{name: "unknown field", body: `{"size": 2, "mode": "Exact"}`, want: 400},
		{name: "two objects", body: `{"size": 2} {"size": 3}`, want: 400},
		{name: "not JSON", body: `size=2`, want: 400},
		{name: "empty body", body: ``, want: 400},
		{name: "reason with a newline", body: `{"size": 2, "reason": "a\nb"}`, want: 400},
		{name: "reason with an escape sequence", body: `{"size": 2, "reason": "\u001b[31mred"}`, want: 400},
		{name: "reason too long", body: `{"size": 2, "reason": "` + strings.Repeat("x", hints.MaxReasonBytes+1) + `"}`, want: 400},
		{name: "unknown policy", policy: "missing", body: `{"size": 2}`, want: 404},
		{name: "hints disabled", policy: "quiet", body: `{"size": 2}`, want: 409},
		{name: "policy in another namespace", ns: elsewhere, body: `{"size": 2}`, want: 403},
		{name: "invalid namespace name", ns: "Not_A_Namespace", body: `{"size": 2}`, want: 400},
		{name: "grant on a different policy", token: p2Only, body: `{"size": 2}`, want: 403},
		{name: "token for another audience", token: otherAudience, body: `{"size": 2}`, want: 401},
		{name: "no token", token: "-", body: `{"size": 2}`, want: 401},
		{name: "garbage token", token: "not.a.jwt", body: `{"size": 2}`, want: 401},
		{name: "delete with a grant on a different policy", method: "DELETE", token: p2Only, want: 403},
		{name: "delete with a token for another audience", method: "DELETE", token: otherAudience, want: 401},
		{name: "unsupported method", method: "PUT", body: `{"size": 2}`, want: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, cns, cpolicy, tok := tc.method, tc.ns, tc.policy, tc.token
			if method == "" {
				method = "POST"
			}
			if cns == "" {
				cns = ns
			}
			if cpolicy == "" {
				cpolicy = "p"
			}
			switch tok {
			case "":
				tok = app
			case "-":
				tok = ""
			}
			code, body := postHint(t, base, method, cns, cpolicy, tok, tc.body)
			if code != tc.want {
				t.Errorf("%s: status %d %s, want %d", tc.name, code, body, tc.want)
			}
			if !strings.Contains(body, `"error"`) {
				t.Errorf("%s: body %s has no JSON error saying why", tc.name, body)
			}
			if diff := cmp.Diff(before, store.List(key)); diff != "" {
				t.Errorf("%s changed the hint store (-before +after):\n%s", tc.name, diff)
			}
		})
	}
	t.Logf("MEASURED hint API: %d bad requests refused", len(cases))

	decisions := rc.Counter(t, "fluxscale_decisions_total", "p")
	ctrltest.Eventually(t, 20*time.Second, "two more decisions", func(context.Context) (bool, string) {
		n := rc.Counter(t, "fluxscale_decisions_total", "p")
		return n >= decisions+2, fmt.Sprintf("%d decisions", n)
	})
	statusAfter, err := policyStatus(t.Context(), e, ns, "p")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(statusBefore.ActiveHints, statusAfter.ActiveHints); diff != "" {
		t.Errorf("status.activeHints changed by refused requests (-before +after):\n%s", diff)
	}
}
