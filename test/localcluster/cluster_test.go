package localcluster_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// neverPulled is a container image nobody pulls: kwok only pretends to run containers.
const neverPulled = "fluxscale.invalid/never-pulled:v0"

// One cluster serves all subtests: starting one costs far more than any subtest.
func TestLocalCluster(t *testing.T) {
	// A stand-in `flux` on the exec PATH, as the pod-exec Flux runner's tests use it.
	scriptDir, workDir := t.TempDir(), t.TempDir()
	script := "#!/bin/sh\necho hello \"$@\"\npwd -P\n"
	if err := os.WriteFile(filepath.Join(scriptDir, "flux"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := localcluster.StartForTest(t, localcluster.Options{
		Nodes:       2,
		ExecEnv:     map[string]string{"PATH": scriptDir + ":" + os.Getenv("PATH")},
		ExecWorkDir: workDir,
	})
	t.Logf("cluster started in %v", time.Since(start).Round(time.Millisecond))

	t.Run("ElasticIndexedJob", func(t *testing.T) { testElasticIndexedJob(t, c) })
	t.Run("TokenReview", func(t *testing.T) { testTokenReview(t, c) })
	t.Run("PodExec", func(t *testing.T) { testPodExec(t, c, workDir) })
	t.Run("Kubeconfig", func(t *testing.T) {
		if _, err := os.Stat(c.KubeconfigPath()); err != nil {
			t.Fatalf("kubeconfig: %v", err)
		}
	})
	if t.Failed() {
		return // keep the logs for StartForTest's cleanup to print
	}

	// Stop is also registered by StartForTest, so this checks it is safe to call twice.
	c.Stop()
	if _, err := os.Stat(c.KubeconfigPath()); !os.IsNotExist(err) {
		t.Errorf("kubeconfig still present after Stop: %v", err)
	}
	if _, err := c.Client().Discovery().ServerVersion(); err == nil {
		t.Error("API server still answers after Stop")
	}
}

func TestMissingBinaries(t *testing.T) {
	t.Setenv("FLUXSCALE_BIN", t.TempDir())
	_, err := localcluster.Start(t.Context(), localcluster.Options{})
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("Start without binaries: err = %v, want a hint to run `make tools`", err)
	}
}

func testElasticIndexedJob(t *testing.T, c *localcluster.Cluster) {
	ctx, client := t.Context(), c.Client()
	ns := newNamespace(t, c, "job")
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "elastic", Namespace: ns},
		Spec: batchv1.JobSpec{
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			Parallelism:    ptr.To[int32](2),
			Completions:    ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				// No scheduler runs: pin pods to a fake node.
				NodeName:      c.Nodes()[0],
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "worker", Image: neverPulled}},
			}},
		},
	}
	if _, err := client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRunningIndexes(t, client, ns, job.Name, []int{0, 1})

	for _, size := range []int{4, 3} {
		patch := fmt.Sprintf(`{"spec":{"parallelism":%d,"completions":%d}}`, size, size)
		if _, err := client.BatchV1().Jobs(ns).Patch(ctx, job.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatalf("resizing to %d: %v", size, err)
		}
		var want []int
		for i := range size {
			want = append(want, i)
		}
		waitRunningIndexes(t, client, ns, job.Name, want)
	}
}

// waitRunningIndexes waits until the Job has exactly the wanted Running pods and no pod
// still being deleted.
func waitRunningIndexes(t *testing.T, client kubernetes.Interface, ns, job string, want []int) {
	t.Helper()
	var got []string
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + job})
		if err != nil {
			return false, err
		}
		got = got[:0]
		var indexes []int
		for _, p := range pods.Items {
			idx := p.Annotations[batchv1.JobCompletionIndexAnnotation]
			got = append(got, fmt.Sprintf("%s(index=%s phase=%s deleting=%t)", p.Name, idx, p.Status.Phase, p.DeletionTimestamp != nil))
			if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
				return false, nil
			}
			i, err := strconv.Atoi(idx)
			if err != nil {
				return false, fmt.Errorf("pod %s: bad completion index %q", p.Name, idx)
			}
			indexes = append(indexes, i)
		}
		slices.Sort(indexes)
		return slices.Equal(indexes, want), nil
	})
	if err != nil {
		t.Fatalf("waiting for Running pods with indexes %v: %v; pods: %v", want, err, got)
	}
}

func testTokenReview(t *testing.T, c *localcluster.Cluster) {
	ctx, client := t.Context(), c.Client()
	ns := newNamespace(t, c, "token")
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tester"}}
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest: %v", err)
	}
	review, err := client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
		Spec: authenticationv1.TokenReviewSpec{Token: tr.Status.Token},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenReview: %v", err)
	}
	wantUser := "system:serviceaccount:" + ns + ":tester"
	if !review.Status.Authenticated || review.Status.User.Username != wantUser {
		t.Fatalf("TokenReview status = %+v, want authenticated as %s", review.Status, wantUser)
	}
}

func testPodExec(t *testing.T, c *localcluster.Cluster, workDir string) {
	ctx, client := t.Context(), c.Client()
	ns := newNamespace(t, c, "exec")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "target", Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName:   c.Nodes()[1],
			Containers: []corev1.Container{{Name: "main", Image: neverPulled}},
		},
	}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, err
	})
	if err != nil {
		t.Fatalf("waiting for pod Running: %v", err)
	}

	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod.Name).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: "main",
		Command:   []string{"flux", "resize"},
		Stdout:    true,
		Stderr:    true,
	}, scheme.ParameterCodec)
	// kubectl talks websocket first and falls back to SPDY; check both paths work.
	cfg := c.RESTConfig()
	executors := map[string]func() (remotecommand.Executor, error){
		"websocket": func() (remotecommand.Executor, error) {
			return remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
		},
		"spdy": func() (remotecommand.Executor, error) {
			return remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
		},
	}
	for name, newExec := range executors {
		t.Run(name, func(t *testing.T) {
			exec, err := newExec()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
				t.Fatalf("exec: %v (stderr %q)", err, stderr.String())
			}
			if want := "hello resize\n" + workDir + "\n"; stdout.String() != want {
				t.Fatalf("stdout = %q, want %q (stderr %q)", stdout.String(), want, stderr.String())
			}
		})
	}
}

func newNamespace(t *testing.T, c *localcluster.Cluster, name string) string {
	t.Helper()
	if err := c.CreateNamespace(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	return name
}
