package minicluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestNewJob(t *testing.T) {
	labels := map[string]string{
		"namespace": "ns", "app": "flux-operator", "app.kubernetes.io/name": "flux-sample", "hpa-selector": "flux-sample",
	}
	cases := map[string]struct {
		spec Spec
		want batchv1.JobSpec
	}{
		"lone container runs flux, operator defaults": {
			spec: Spec{Size: 2, MaxSize: 10, DeadlineSeconds: 31500000, Containers: []Container{{Image: "rockylinux:9"}}},
			want: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](100), Completions: ptr.To[int32](2), Parallelism: ptr.To[int32](2),
				CompletionMode: ptr.To(batchv1.IndexedCompletion), ActiveDeadlineSeconds: ptr.To[int64](31500000),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						Subdomain: "flux-sample", NodeName: "kwok-node-0", RestartPolicy: corev1.RestartPolicyOnFailure,
						Containers: []corev1.Container{{Name: "flux-sample", Image: "rockylinux:9"}},
					},
				},
			},
		},
		"sidecar keeps its name, headless name and backoff set": {
			spec: Spec{
				Size: 3, BackoffLimit: 4, Network: Network{HeadlessName: "svc"},
				Containers: []Container{{Name: "app", Image: "a", RunFlux: true}, {Name: "side", Image: "b"}},
			},
			want: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](4), Completions: ptr.To[int32](3), Parallelism: ptr.To[int32](3),
				CompletionMode: ptr.To(batchv1.IndexedCompletion),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						Subdomain: "svc", NodeName: "kwok-node-0", RestartPolicy: corev1.RestartPolicyOnFailure,
						Containers: []corev1.Container{{Name: "flux-sample", Image: "a"}, {Name: "side", Image: "b"}},
					},
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mc := &MiniCluster{ObjectMeta: metav1.ObjectMeta{Name: "flux-sample", Namespace: "ns"}, Spec: tc.spec}
			job := newJob(mc, "kwok-node-0")
			if diff := cmp.Diff("flux-sample", job.Name); diff != "" {
				t.Errorf("Job name (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, job.Spec); diff != "" {
				t.Errorf("Job spec (-want +got):\n%s", diff)
			}
		})
	}
}

// The embedded CRD must decode strictly and carry the real operator's scale subresource.
func TestCRD(t *testing.T) {
	crd, err := CRD()
	if err != nil {
		t.Fatal(err)
	}
	got := []string{crd.Name, crd.Spec.Group, crd.Spec.Names.Kind, crd.Spec.Names.Plural, crd.Spec.Versions[0].Name}
	want := []string{"miniclusters.flux-framework.org", GroupVersion.Group, Kind, Resource, GroupVersion.Version}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CRD names (-want +got):\n%s", diff)
	}
	scale := crd.Spec.Versions[0].Subresources.Scale
	gotScale := []string{scale.SpecReplicasPath, scale.StatusReplicasPath, ptr.Deref(scale.LabelSelectorPath, "")}
	if diff := cmp.Diff([]string{".spec.size", ".status.size", ".status.selector"}, gotScale); diff != "" {
		t.Errorf("scale subresource (-want +got):\n%s", diff)
	}
}
