package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
)

// oneTokenReviewer knows one token, for the service account apps/app, with audience
// fluxscale, and lets it do anything.
type oneTokenReviewer struct{}

func (oneTokenReviewer) ReviewToken(_ context.Context, token string, aud []string) (authnv1.TokenReviewStatus, error) {
	if token != "good-token" || len(aud) != 1 || aud[0] != "fluxscale" {
		return authnv1.TokenReviewStatus{Error: "invalid bearer token"}, nil
	}
	return authnv1.TokenReviewStatus{Authenticated: true, Audiences: aud, User: authnv1.UserInfo{Username: "system:serviceaccount:apps:app"}}, nil
}

func (oneTokenReviewer) ReviewAccess(context.Context, authzv1.SubjectAccessReviewSpec) (authzv1.SubjectAccessReviewStatus, error) {
	return authzv1.SubjectAccessReviewStatus{Allowed: true}, nil
}

// hintServer is the real hint API over a fake cache holding apps/flux-sample (sizes 1-8).
func hintServer(t *testing.T, tls bool) *httptest.Server {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	sp := &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-sample", Namespace: "apps"},
		Spec:       v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 8, Hints: v1alpha1.HintsSpec{Enabled: ptr.To(true), MaxTTLSeconds: 3600}},
	}
	clk := clocktesting.NewFakeClock(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	srv := hints.NewServer(hints.NewStore(clk, hints.StoreOptions{}),
		fake.NewClientBuilder().WithScheme(scheme).WithObjects(sp).Build(), oneTokenReviewer{}, clk, hints.Options{Burst: 100})
	ts := httptest.NewUnstartedServer(srv)
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

// podFiles writes a pod's namespace and token files; an empty token leaves its file out.
func podFiles(t *testing.T, projected, saToken string) hintEnv {
	t.Helper()
	dir := t.TempDir()
	env := hintEnv{
		namespaceFile:  filepath.Join(dir, "namespace"),
		projectedToken: filepath.Join(dir, "fluxscale-token"),
		defaultToken:   filepath.Join(dir, "sa-token"),
		getenv:         func(string) string { return "" },
	}
	write := func(path, s string) {
		if s == "" {
			return
		}
		if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(env.namespaceFile, "apps")
	write(env.projectedToken, projected)
	write(env.defaultToken, saToken)
	return env
}

func TestHintCommand(t *testing.T) {
	ts := hintServer(t, false)
	env := podFiles(t, "good-token", "")
	env.getenv = func(k string) string {
		if k == hintURLEnv {
			return ts.URL
		}
		return ""
	}
	steps := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: []string{"--policy", "flux-sample", "--size", "4", "--ttl", "10m", "--reason", "40 jobs"},
			want: "accepted on apps/flux-sample: size 4 (Floor) until 2024-05-01T10:10:00Z"},
		{args: []string{"--policy", "flux-sample", "--list"}, want: "system:serviceaccount:apps:app  4     Floor  2024-05-01T10:10:00Z  40 jobs"},
		{args: []string{"--policy", "flux-sample", "--delta", "20"}, want: "size 8 (Floor)"},
		{args: []string{"--policy", "flux-sample", "--delete"}, want: "deleted your hint on apps/flux-sample"},
		{args: []string{"--policy", "flux-sample", "--list"}, want: "no active hints"},
		{args: []string{"--policy", "flux-sample", "--delete"}, wantErr: "404 Not Found: system:serviceaccount:apps:app has no active hint"},
		{args: []string{"--policy", "flux-sample", "--size", "9"}, wantErr: "400 Bad Request: size 9 is outside policy apps/flux-sample's bounds [1, 8]"},
		{args: []string{"--policy", "other", "--size", "2", "--namespace", "batch"}, wantErr: "404 Not Found: ScalingPolicy other not found in namespace batch"},
	}
	for _, s := range steps {
		var out, errOut bytes.Buffer
		err := hintWith(s.args, &out, &errOut, env)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Fatalf("hint %v: error %v, want one containing %q", s.args, err, s.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("hint %v: %v", s.args, err)
		}
		if !strings.Contains(out.String(), s.want) {
			t.Fatalf("hint %v printed %q, want %q", s.args, out.String(), s.want)
		}
	}
}

func TestHintUsageErrors(t *testing.T) {
	env := podFiles(t, "good-token", "")
	for _, args := range [][]string{
		{"--size", "4"},
		{"--policy", "p"},
		{"--policy", "p", "--size", "4", "--delta", "1"},
		{"--policy", "p", "--size", "0"},
		{"--policy", "p", "--size", "4", "--ttl", "1500ms"},
		{"--policy", "p", "--list", "--reason", "x"},
		{"--policy", "p", "--size", "4", "extra"},
		{"--policy", "p", "--bogus"},
	} {
		err := hintWith(args, &bytes.Buffer{}, &bytes.Buffer{}, env)
		if !errors.Is(err, errUsage) {
			t.Errorf("hint %v: error %v, want a usage error", args, err)
		}
	}
}

func TestHintTokenDefaults(t *testing.T) {
	plain := hintServer(t, false)
	secure := hintServer(t, true)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw})
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		env       hintEnv
		server    string
		wantError string
	}{
		{name: "projected token over http", env: podFiles(t, "good-token", "api-token"), server: plain.URL},
		{name: "no projected token: the default token is not sent over http", env: podFiles(t, "", "good-token"),
			server: plain.URL, wantError: "only sent over https"},
		{name: "no projected token: the default token over https", env: podFiles(t, "", "good-token"), server: secure.URL},
		{name: "the default token has the API server's audience", env: podFiles(t, "", "api-token"),
			server: secure.URL, wantError: "401 Unauthorized: token rejected (invalid bearer token)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--policy", "flux-sample", "--list", "--server", tc.server, "--ca-file", caFile}
			err := hintWith(args, &bytes.Buffer{}, &bytes.Buffer{}, tc.env)
			if tc.wantError == "" && err != nil {
				t.Fatalf("hint: %v", err)
			}
			if tc.wantError != "" && (err == nil || !strings.Contains(err.Error(), tc.wantError)) {
				t.Fatalf("hint error %v, want one containing %q", err, tc.wantError)
			}
		})
	}
}
