package helm

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/fluxstandin/fixture"
	"github.com/fluxscale/fluxscale/test/fluxstandin/golden"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

const (
	watched, unwatched = "team-a", "team-b"
	release            = "fluxscale"
	// The stand-in Flux answers with elastic-config step 3: 3 busy ranks and jobs of 3, 6
	// and 7 nodes pending, so an Exec policy with maxSize 6 grows a 4-pod Job to 6.
	startSize, grownSize = 4, 6
)

// installEnv is the local cluster the chart is installed into.
type installEnv struct {
	c          *localcluster.Cluster
	cl         client.Client
	controller string // the fluxscale binary
	kubeconfig []string
}

// The chart installed for real with helm into the local control plane, and the controller
// built from this repository run with the installed Deployment's arguments and only the
// installed ServiceAccount's RBAC. Namespaced: the policy in the watched namespace scales
// (through pods/exec there), the one outside is never seen (no status, no finalizer, no
// series). Cluster-wide: both scale. Then the alerts' and dashboard's metric names are
// checked against what that controller serves.
func TestHelmInstall(t *testing.T) {
	standin := fixture.BuildStandin(t)
	e := &installEnv{controller: buildController(t)}
	e.c = localcluster.StartForTest(t, localcluster.Options{Nodes: 1, ExecEnv: map[string]string{
		"PATH": standin + ":" + os.Getenv("PATH"), "FLUXSTANDIN_DIR": golden.ElasticConfigStep3Scenario(t),
	}})
	e.cl = adminClient(t, e.c)
	e.kubeconfig = []string{"KUBECONFIG=" + e.c.KubeconfigPath()}
	for _, ns := range []string{releaseNamespace, watched, unwatched} {
		if err := e.c.CreateNamespace(t.Context(), ns); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("server-side dry run of helm template", func(t *testing.T) {
		for _, sets := range [][]string{nil, {"watchNamespaces={" + watched + "," + unwatched + "}"}} {
			serverDryRun(t, e.c.RESTConfig(), render(t, sets...))
		}
	})

	// fluxReader=cli: the stand-in flux replays recordings of the CLI commands, not of the
	// flux python program.
	helm(t, e.kubeconfig, "install", release, chartDir(t), "-n", releaseNamespace,
		"--set", "watchNamespaces={"+watched+"}", "--set", "fluxReader=cli")
	// The CRD comes from the chart's crds/: policies can be created once it is established.
	for _, ns := range []string{watched, unwatched} {
		createExecTarget(t, e, ns)
	}
	t.Run("namespaced", func(t *testing.T) {
		p := startInstalledController(t, e)
		waitParallelism(t, e, watched, grownSize)
		// The watched policy has been reconciled (status, finalizer); by then the unwatched
		// one would have been too had the controller seen it.
		sp := getPolicy(t, e, unwatched, "exec-policy")
		if sp.Status.ObservedGeneration != 0 || len(sp.Finalizers) != 0 {
			t.Errorf("the policy in %s was touched: observedGeneration %d, finalizers %v", unwatched, sp.Status.ObservedGeneration, sp.Finalizers)
		}
		if got := jobParallelism(t, e, unwatched); got != startSize {
			t.Errorf("Job %s/work has parallelism %d, want %d (not watched)", unwatched, got, startSize)
		}
		fams := parseMetrics(t, p.scrape(t))
		if v, ok := gauge(fams, "fluxscale_desired_size", map[string]string{"namespace": watched, "policy": "exec-policy"}); !ok || v != grownSize {
			t.Errorf("fluxscale_desired_size{namespace=%q} = %v (present %v), want %d", watched, v, ok, grownSize)
		}
		if n := seriesOf(fams, map[string]string{"namespace": unwatched}); n != 0 {
			t.Errorf("%d series for namespace %s, want none: the controller must not see it", n, unwatched)
		}
		logs := p.logs()
		if !strings.Contains(logs, "watching only these namespaces") || !strings.Contains(logs, `namespaces=["`+watched+`"]`) {
			t.Errorf("the log does not say which namespaces are watched:\n%s", logs)
		}
		noForbidden(t, logs)
		hintEndpoint(t, e, p)
		table, cells := wideTable(t, e, watched)
		t.Logf("kubectl get sp -n %s -o wide:\n%s", watched, table)
		want := map[string]string{"Current": fmt.Sprint(grownSize), "Desired": fmt.Sprint(grownSize), "Pending": "3",
			"Signals": v1alpha1.ReasonValidMetrics, "Limited": v1alpha1.ReasonTooManyReplicas}
		for col, v := range want {
			if got := cells["exec-policy"][col]; got != v {
				t.Errorf("kubectl get sp -o wide: column %s of exec-policy is %q, want %q", col, got, v)
			}
		}
		t.Logf("%s/work scaled %d -> %d; %s/work left at %d; %s series for %s: 0; log: %s",
			watched, startSize, grownSize, unwatched, startSize, "fluxscale_*", unwatched, firstLine(logs, "watching only"))
	})

	helm(t, e.kubeconfig, "uninstall", release, "-n", releaseNamespace, "--wait")
	var roles rbacv1.RoleList
	if err := e.cl.List(t.Context(), &roles, client.InNamespace(watched)); err != nil || len(roles.Items) != 0 {
		t.Fatalf("after helm uninstall: Roles in %s %v (%v), want none", watched, roles.Items, err)
	}

	helm(t, e.kubeconfig, "install", release, chartDir(t), "-n", releaseNamespace, "--set", "fluxReader=cli")
	t.Run("cluster-wide", func(t *testing.T) {
		p := startInstalledController(t, e)
		waitParallelism(t, e, unwatched, grownSize)
		if !strings.Contains(p.logs(), "watching all namespaces") {
			t.Errorf("the log does not say it watches all namespaces:\n%s", p.logs())
		}

		// Make every series the alerts and the dashboard read exist: a hint that grows a
		// Job (hint API answers, trigger-to-scale latency) and a policy whose target is
		// missing (errors_total).
		postHint(t, e, p)
		missing := builders.MakeScalingPolicy("missing", watched).TargetJob("absent").MaxSize(2).Obj()
		missing.Spec.Flux = v1alpha1.FluxSource{Source: v1alpha1.SourceNone}
		if err := e.cl.Create(t.Context(), missing); err != nil {
			t.Fatal(err)
		}
		var fams map[string]*family
		eventually(t, time.Minute, "errors_total for the missing target", func(context.Context) (bool, string) {
			fams = parseMetrics(t, p.scrape(t))
			n := seriesOf(fams, map[string]string{"policy": "missing", "source": "target"})
			return n > 0, fmt.Sprintf("%d errors_total series for policy missing", n)
		})
		checkMetricNames(t, sampleNames(fams))
		noForbidden(t, p.logs())
	})
}

// startInstalledController runs the controller with the args of the Deployment helm
// installed, as the ServiceAccount helm installed.
func startInstalledController(t *testing.T, e *installEnv) *controllerProc {
	t.Helper()
	var d appsv1.Deployment
	if err := e.cl.Get(t.Context(), client.ObjectKey{Namespace: releaseNamespace, Name: release + "-controller"}, &d); err != nil {
		t.Fatalf("the chart's Deployment: %v", err)
	}
	pod := d.Spec.Template.Spec
	return startController(t, e.controller, pod.Containers[0],
		serviceAccountKubeconfig(t, e.c, releaseNamespace, pod.ServiceAccountName))
}

// createExecTarget creates, in ns, a 4-pod Indexed Job and an Exec policy for it.
func createExecTarget(t *testing.T, e *installEnv, ns string) {
	t.Helper()
	job := builders.MakeIndexedJob("work", ns).Parallelism(startSize).NodeName(e.c.Nodes()[0]).Obj()
	if err := e.cl.Create(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "Job "+ns+"/work's pods Running", func(ctx context.Context) (bool, string) {
		var pods corev1.PodList
		if err := e.cl.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"job-name": "work"}); err != nil {
			return false, err.Error()
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running == startSize, fmt.Sprintf("%d of %d pods Running", running, len(pods.Items))
	})
	sp := builders.MakeScalingPolicy("exec-policy", ns).TargetJob("work").MaxSize(grownSize).Obj()
	sp.Spec.Flux = v1alpha1.FluxSource{Source: v1alpha1.SourceExec, Exec: &v1alpha1.ExecSource{Container: "worker"}}
	eventually(t, 30*time.Second, "policy "+ns+"/exec-policy created (the chart's CRD established)", func(ctx context.Context) (bool, string) {
		err := e.cl.Create(ctx, sp.DeepCopy())
		return err == nil, errString(err)
	})
}

// postHint grows Job watched/hinted from 1 to 3 with `fluxscale hint`, as an application's
// ServiceAccount bound to the chart's hint-poster ClusterRole.
func postHint(t *testing.T, e *installEnv, p *controllerProc) {
	t.Helper()
	ctx := t.Context()
	job := builders.MakeIndexedJob("hinted", watched).NodeName(e.c.Nodes()[0]).Obj()
	sp := builders.MakeScalingPolicy("hinted", watched).TargetJob("hinted").MaxSize(3).Obj()
	sp.Spec.Flux = v1alpha1.FluxSource{Source: v1alpha1.SourceNone}
	app := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: watched}}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "app-hints", Namespace: watched},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: release + "-hint-poster"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "app", Namespace: watched}},
	}
	for _, o := range []client.Object{job, sp, app, binding} {
		if err := e.cl.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, time.Minute, "policy hinted reconciled", func(ctx context.Context) (bool, string) {
		got := getPolicy(t, e, watched, "hinted")
		return got.Status.ObservedGeneration > 0, fmt.Sprintf("status %+v", got.Status)
	})
	if p.hintsURL == "" {
		t.Fatal("the chart's Deployment disables the hint API; it is on by default")
	}
	token := audienceToken(t, e.c, watched, "app", "fluxscale")
	args := []string{"hint", "--policy", "hinted", "--namespace", watched, "--size", "3", "--ttl", "10m",
		"--server", p.hintsURL, "--token-file", token}
	out, err := runTool(t, e.controller, nil, args...)
	if err != nil {
		t.Fatalf("fluxscale %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("$ fluxscale hint --policy hinted --namespace %s --size 3 --ttl 10m ...\n%s", watched, out)
	waitJob(t, e, watched, "hinted", "hinted", 3)
}

func getPolicy(t *testing.T, e *installEnv, ns, name string) *v1alpha1.ScalingPolicy {
	t.Helper()
	var sp v1alpha1.ScalingPolicy
	if err := e.cl.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, &sp); err != nil {
		t.Fatal(err)
	}
	return &sp
}

func jobParallelism(t *testing.T, e *installEnv, ns string) int32 {
	t.Helper()
	var j batchv1.Job
	if err := e.cl.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "work"}, &j); err != nil {
		t.Fatal(err)
	}
	return ptr.Deref(j.Spec.Parallelism, 0)
}

func waitParallelism(t *testing.T, e *installEnv, ns string, want int32) {
	t.Helper()
	waitJob(t, e, ns, "work", "exec-policy", want)
}

// waitJob waits for a Job's parallelism and completions to reach want, showing the status of
// the policy scaling it while it waits.
func waitJob(t *testing.T, e *installEnv, ns, name, policy string, want int32) {
	t.Helper()
	eventually(t, 90*time.Second, fmt.Sprintf("Job %s/%s at %d", ns, name, want), func(ctx context.Context) (bool, string) {
		var j batchv1.Job
		if err := e.cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &j); err != nil {
			return false, err.Error()
		}
		var sp v1alpha1.ScalingPolicy
		if err := e.cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: policy}, &sp); err != nil {
			return false, err.Error()
		}
		p, c := ptr.Deref(j.Spec.Parallelism, 0), ptr.Deref(j.Spec.Completions, 0)
		var conds []string
		for _, c := range sp.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s/%s: %s", c.Type, c.Status, c.Reason, c.Message))
		}
		return p == want && c == want, fmt.Sprintf("parallelism %d, completions %d; policy %s signals %+v conditions %v",
			p, c, policy, sp.Status.Signals, conds)
	})
}

// noForbidden fails when the API server refused the controller something: the chart's RBAC
// is missing a permission the controller uses.
func noForbidden(t *testing.T, logs string) {
	t.Helper()
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "forbidden") {
			t.Errorf("the controller was refused something under the chart's RBAC: %s", l)
		}
	}
}

// firstLine is the first log line containing s.
func firstLine(logs, s string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return "(none)"
}

// hintEndpoint waits for the installed controller, with the chart's RBAC, to name itself (its
// pod IP, the port it serves hints on) as the only endpoint of the selectorless hint Service.
func hintEndpoint(t *testing.T, e *installEnv, p *controllerProc) {
	t.Helper()
	var svc corev1.Service
	if err := e.cl.Get(t.Context(), client.ObjectKey{Namespace: releaseNamespace, Name: release + "-hints"}, &svc); err != nil {
		t.Fatalf("the chart's hint Service: %v", err)
	}
	if len(svc.Spec.Selector) != 0 {
		t.Errorf("the hint Service selects %v: posts would reach replicas that do not serve hints", svc.Spec.Selector)
	}
	want := ctrltest.HostIP(t) + ":" + p.hintsURL[strings.LastIndex(p.hintsURL, ":")+1:]
	eventually(t, 30*time.Second, "the hint Service's EndpointSlice naming the leader "+want, func(ctx context.Context) (bool, string) {
		var s discoveryv1.EndpointSlice
		if err := e.cl.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: svc.Name}, &s); err != nil {
			return false, err.Error()
		}
		var got []string
		for _, ep := range s.Endpoints {
			for _, a := range ep.Addresses {
				for _, port := range s.Ports {
					got = append(got, fmt.Sprintf("%s:%d", a, ptr.Deref(port.Port, 0)))
				}
			}
		}
		return len(got) == 1 && got[0] == want && s.Labels[discoveryv1.LabelServiceName] == svc.Name, fmt.Sprintf("endpoints %v labels %v", got, s.Labels)
	})
}
