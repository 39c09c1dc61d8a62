package harness

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// jobGetter and podLister stand in for the informers' listers.
type jobGetter struct{ job *batchv1.Job }

func (g jobGetter) Get(name string) (*batchv1.Job, error) {
	if g.job == nil || g.job.Name != name {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: "batch", Resource: "jobs"}, name)
	}
	return g.job, nil
}

type podLister []*corev1.Pod

func (l podLister) List(sel labels.Selector) ([]*corev1.Pod, error) {
	var out []*corev1.Pod
	for _, p := range l {
		if sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out, nil
}

func pod(job, index string, phase corev1.PodPhase) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job + "-" + index, Labels: map[string]string{batchv1.JobNameLabel: job}}}
	if index != "" {
		p.Labels[batchv1.JobCompletionIndexAnnotation] = index
	}
	p.Status.Phase = phase
	return p
}

func terminating(p *corev1.Pod) *corev1.Pod {
	p.DeletionTimestamp = &metav1.Time{}
	return p
}

func TestRunningRanks(t *testing.T) {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "work"}, Spec: batchv1.JobSpec{Parallelism: ptr.To[int32](3)}}
	type result struct{ Ranks, Parallelism int32 }
	cases := []struct {
		name string
		job  *batchv1.Job
		pods podLister
		want result
	}{
		{name: "no Job yet: no ranks", want: result{}},
		{
			name: "every Running pod below the parallelism is a rank",
			job:  job,
			pods: podLister{pod("work", "0", corev1.PodRunning), pod("work", "1", corev1.PodRunning), pod("work", "2", corev1.PodRunning)},
			want: result{Ranks: 3, Parallelism: 3},
		},
		{
			name: "pending, terminating and unindexed pods are not",
			job:  job,
			pods: podLister{
				pod("work", "0", corev1.PodRunning), pod("work", "1", corev1.PodPending),
				terminating(pod("work", "2", corev1.PodRunning)), pod("work", "", corev1.PodRunning),
			},
			want: result{Ranks: 1, Parallelism: 3},
		},
		{
			name: "a pod above a lowered parallelism has left Flux before it is gone",
			job:  job,
			pods: podLister{pod("work", "0", corev1.PodRunning), pod("work", "3", corev1.PodRunning)},
			want: result{Ranks: 1, Parallelism: 3},
		},
		{
			name: "another Job's pods do not count",
			job:  job,
			pods: podLister{pod("work", "0", corev1.PodRunning), pod("other", "1", corev1.PodRunning)},
			want: result{Ranks: 1, Parallelism: 3},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, p, err := runningRanks(jobGetter{tc.job}, tc.pods, "work")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, result{Ranks: n, Parallelism: p}); diff != "" {
				t.Errorf("runningRanks (-want +got):\n%s", diff)
			}
		})
	}
}
