package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// tokenAgent is a fake agent: it accepts drains with one bearer token only.
type tokenAgent struct {
	mu   sync.Mutex
	want string
}

func (a *tokenAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	ok := r.Header.Get("Authorization") == "Bearer "+a.want
	a.mu.Unlock()
	if !ok {
		http.Error(w, `{"error": "wrong token"}`, http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *tokenAgent) rotate(token string) {
	a.mu.Lock()
	a.want = token
	a.mu.Unlock()
}

// A rotated token Secret takes effect on the next drain, without a spec change or a restart.
func TestAgentSourceFollowsATokenRotation(t *testing.T) {
	fake := &tokenAgent{want: "first"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-token", Namespace: ns},
		Data:       map[string][]byte{"token": []byte("first")},
	}
	c := fakeClient(t, secret)
	sp := makeScalingPolicy("p", ns).Obj()
	sp.Spec.Flux = v1alpha1.FluxSource{Source: v1alpha1.SourceAgent,
		Agent: &v1alpha1.AgentSource{URL: srv.URL, TokenSecretRef: &v1alpha1.SecretKeyRef{Name: "agent-token"}}}
	src, err := (&KubeSources{Reader: c}).NewSource(context.Background(), sp, indexedJob(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Flux.Drain(context.Background(), flux.RankSet{1}, "fluxscale: test"); err != nil {
		t.Fatalf("Drain before the rotation: %v", err)
	}
	secret.Data["token"] = []byte("second")
	if err := c.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	fake.rotate("second")
	if err := src.Flux.Undrain(context.Background(), flux.RankSet{1}); err != nil {
		t.Errorf("Undrain after the rotation: %v", err)
	}
}
