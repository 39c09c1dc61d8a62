package source

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

func withSource(sp *v1alpha1.ScalingPolicy, fs v1alpha1.FluxSource) *v1alpha1.ScalingPolicy {
	sp.Spec.Flux = fs
	return sp
}

func TestKubeSources(t *testing.T) {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-token", Namespace: ns},
		Data:       map[string][]byte{"token": []byte("s3cret")},
	}
	agentSpec := func(ref *v1alpha1.SecretKeyRef) v1alpha1.FluxSource {
		return v1alpha1.FluxSource{Source: v1alpha1.SourceAgent, Agent: &v1alpha1.AgentSource{URL: "http://flux-sample-0.flux:8181", TokenSecretRef: ref}}
	}
	tests := []struct {
		name        string
		sp          *v1alpha1.ScalingPolicy
		tgt         *target.Info
		wantClient  string // the Flux client's type, "" for none
		wantWatcher bool
		wantErr     string
		reader      string
		watch       string
	}{{
		name:        "exec streaming Flux's journals",
		sp:          withSource(makeScalingPolicy("p", ns).Obj(), v1alpha1.FluxSource{Source: v1alpha1.SourceExec}),
		tgt:         indexedJob(2),
		watch:       WatchStream,
		wantClient:  "*flux.Python",
		wantWatcher: true,
	}, {
		name:       "exec against an indexed job",
		sp:         withSource(makeScalingPolicy("p", ns).Obj(), v1alpha1.FluxSource{Source: v1alpha1.SourceExec}),
		tgt:        indexedJob(2),
		wantClient: "*flux.Python",
	}, {
		name:       "exec with the CLI reader",
		sp:         withSource(makeScalingPolicy("p", ns).Obj(), v1alpha1.FluxSource{Source: v1alpha1.SourceExec}),
		tgt:        indexedJob(2),
		reader:     flux.ReaderCLI,
		wantClient: "*flux.CLI",
	}, {
		name:    "exec needs a job to find rank 0",
		sp:      withSource(makeScalingPolicy("p", ns).Obj(), v1alpha1.FluxSource{Source: v1alpha1.SourceExec}),
		tgt:     &target.Info{Kind: target.KindScale, Name: "web"},
		wantErr: "needs a MiniCluster or Indexed Job target",
	}, {
		name: "none reads no flux",
		sp:   withSource(makeScalingPolicy("p", ns).Obj(), v1alpha1.FluxSource{Source: v1alpha1.SourceNone}),
		tgt:  indexedJob(2),
	}, {
		name:        "agent with its token",
		sp:          withSource(makeScalingPolicy("p", ns).Obj(), agentSpec(&v1alpha1.SecretKeyRef{Name: "agent-token"})),
		tgt:         indexedJob(2),
		wantClient:  "*agent.Client",
		wantWatcher: true,
	}, {
		name:    "agent token secret missing",
		sp:      withSource(makeScalingPolicy("p", ns).Obj(), agentSpec(&v1alpha1.SecretKeyRef{Name: "nope"})),
		tgt:     indexedJob(2),
		wantErr: "Secret team/nope (flux.agent.tokenSecretRef)",
	}, {
		name:    "agent token key missing",
		sp:      withSource(makeScalingPolicy("p", ns).Obj(), agentSpec(&v1alpha1.SecretKeyRef{Name: "agent-token", Key: "other"})),
		tgt:     indexedJob(2),
		wantErr: `has no key "other"`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeClient(t, secret)
			k := &KubeSources{Config: &rest.Config{Host: "https://127.0.0.1:1"}, Reader: c, Mapper: meta.NewDefaultRESTMapper(nil), FluxReader: tc.reader, FluxWatch: tc.watch}
			src, err := k.NewSource(context.Background(), tc.sp, tc.tgt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NewSource error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			switch src.Flux.(type) {
			case *flux.CLI:
				got = "*flux.CLI"
			case *flux.Python:
				got = "*flux.Python"
			case *agent.Client:
				got = "*agent.Client"
			}
			defer closeSource(src)
			if got != tc.wantClient || (src.Watcher != nil) != tc.wantWatcher {
				t.Errorf("source %T (watcher %v), want %s (watcher %v)", src.Flux, src.Watcher != nil, tc.wantClient, tc.wantWatcher)
			}
		})
	}
}

func TestLeadPodIsTheRunningCompletionIndexZero(t *testing.T) {
	pod := func(name, index string, phase corev1.PodPhase, deleting bool) client.Object {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
				batchv1.JobNameLabel: "work", batchv1.JobCompletionIndexAnnotation: index,
			}},
			Status: corev1.PodStatus{Phase: phase},
		}
		if deleting {
			p.Finalizers = []string{"test/keep"}
			p.DeletionTimestamp = &metav1.Time{Time: t0}
		}
		return p
	}
	c := fakeClient(t,
		pod("work-0-old", "0", corev1.PodRunning, true),
		pod("work-0-new", "0", corev1.PodRunning, false),
		pod("work-1-abc", "1", corev1.PodRunning, false),
	)
	got, err := leadPod(context.Background(), c, ns, "work")
	if err != nil || got.Name != "work-0-new" {
		t.Fatalf("leadPod = %v, %v; want work-0-new", got, err)
	}
	if _, err := leadPod(context.Background(), c, ns, "other"); err == nil || !strings.Contains(err.Error(), "no running pod with completion index 0") {
		t.Errorf("leadPod of a Job without pods: %v", err)
	}
}
