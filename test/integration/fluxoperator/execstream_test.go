package fluxoperator_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/harness"
)

// streamPoll is the policy's poll interval in the fault table: far longer than any row, so
// what the controller learns in a row it learns through the stream (or its reconnect).
const streamPoll = 300

// TestExecStreamFaultsOnTheRealOperator is issue 14's fault table for the Exec source's
// stream (-flux-watch=stream) on the real operator path: the controller execs the watcher
// program into rank 0's pod of the operator's example MiniCluster, through the API server and
// kwok, against real brokers. Each row logs "FAULT <row>: ..." and checks on the Job's
// parallelism, watched throughout, that no shrink came while a job needed the nodes or while
// Flux could not be read. Rows run in order on one cluster (a start costs minutes).
func TestExecStreamFaultsOnTheRealOperator(t *testing.T) {
	c, op := fluxoperator.StartForTest(t)
	h := harness.StartOnForTest(t, c, harness.Options{RealOperator: true, FluxWatch: source.WatchStream})
	ctx := t.Context()
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(h.Namespace).
		Create(ctx, fluxoperator.Example(t, h.Namespace), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var in *fluxoperator.Instance
	harness.Eventually(t, waitBound, "the first broker", func(context.Context) (bool, string) {
		var ok bool
		in, ok = op.Instance(h.Namespace, mcName)
		return ok, "no Running pod yet"
	})
	in.WaitStatus(t, "online", "0-1", waitBound)
	sizes := watchSizes(t, c.Client(), h.Namespace, mcName)
	zero := &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)}}
	sp := builders.MakeScalingPolicy(mcName, h.Namespace).Target("flux-framework.org/v1alpha2", "MiniCluster", mcName).
		MinSize(2).MaxSize(10).QueueDepth(0).PollInterval(streamPoll).Behavior(zero).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		t.Fatal(err)
	}
	r := &streamRig{t: t, h: h, in: in, sizes: sizes}
	r.waitWatch("the first stream", "True/Following")
	defer func() { t.Logf("FAULT table: MiniCluster Job parallelism over the run: %v", sizes.sizes()) }()

	// A 3-node job makes the queue ask for 3; it runs until cancelled.
	jobA := r.runWide("job A")

	t.Run("a journal event for a job that is already gone", func(t *testing.T) {
		r := r.on(t)
		const row = "job gone"
		reads := r.reads()
		errs := r.fluxErrors()
		id := strings.TrimSpace(r.flux("submit", "--urgency=hold", "-N1", "true"))
		r.flux("cancel", id)
		r.flux("job", "wait-event", id, "clean")
		r.flux("job", "purge", "--force", id)
		// The reads the job's journal events triggered may run ahead of job-list, which
		// follows the same events on its own: what the last one showed is the row's finding.
		// A bounded look, then a reconcile of our own (an annotation) to read once more.
		seen := "0"
		caught := r.lookPolicy(20*time.Second, func(sp *v1alpha1.ScalingPolicy) bool {
			seen = signal(sp, "flux.heldJobs")
			return r.reads() > reads && seen == "0"
		})
		streamReads := r.reads() - reads
		r.waitWatch("the stream after the gone job", "True/Following") // pokes: a fresh read
		r.waitPolicy("a read after the job was gone", func(sp *v1alpha1.ScalingPolicy) (bool, string) {
			held := signal(sp, "flux.heldJobs")
			return held == "0", "heldJobs " + held
		})
		if e := r.fluxErrors(); e != errs {
			t.Errorf("Flux read errors went from %d to %d: a journal event for a gone job must read as an empty answer", errs, e)
		}
		r.noShrinkSince(row, jobA.running, 3)
		how := "the last of them showed it gone"
		if !caught {
			how = fmt.Sprintf("the last of them still showed heldJobs %s (job-list behind the journal) and no later event came; a reconcile of our own read it gone", seen)
		}
		t.Logf("FAULT %s: held job %s submitted, cancelled and purged; its journal events triggered %d reads, %s; no Flux read error, FluxWatch True/Following, size stayed %d with job A running",
			row, id, streamReads, how, r.size())
	})

	t.Run("the exec stream cut mid-run", func(t *testing.T) {
		r := r.on(t)
		const row = "exec stream cut"
		watchers := ownProcesses(t, "python", watcherMarker)
		if len(watchers) == 0 {
			t.Fatal("no watcher program found among this test's processes")
		}
		sendSignal(t, watchers, syscall.SIGKILL)
		cut := time.Now()
		// A change while the stream is down: only the reconnected stream can tell (the
		// poll is 300 s away).
		r.flux("cancel", jobA.id)
		cancelled := time.Now()
		r.noShrinkSince(row, jobA.running, 3) // through the cut, while job A ran
		r.waitSize(2)
		took := time.Since(cancelled)
		if took >= streamPoll*time.Second {
			t.Fatalf("the shrink took %s, not less than the %d s poll: it proves nothing about the stream", took, streamPoll)
		}
		again := ownProcesses(t, "python", watcherMarker)
		if len(again) == 0 || slices.ContainsFunc(again, func(pid int) bool { return slices.Contains(watchers, pid) }) {
			t.Errorf("watcher processes %v after the cut, want only new ones (killed %v)", again, watchers)
		}
		r.waitWatch("the stream after the cut", "True/Following")
		t.Logf("FAULT %s: killed the watcher program (pids %v) in rank 0's pod, then cancelled job A; a new stream (pids %v) saw the cancel and the MiniCluster went 3 -> 2 %s after it (%s after the cut); no size below 3 while job A ran",
			row, watchers, again, took.Round(time.Millisecond), time.Since(cut).Round(time.Millisecond))
	})

	t.Run("the broker restarted", func(t *testing.T) {
		r := r.on(t)
		const row = "broker restarted"
		jobC := r.runWide("job C")
		brokers := ownProcesses(t, "broker", "-Shostname="+mcName+"-0\x00")
		if len(brokers) != 1 {
			t.Fatalf("rank 0 broker processes %v, want one", brokers)
		}
		// SIGKILL, as a crash or an OOM kill: a SIGTERM'd broker cancels its jobs on the way
		// out (rc cleanup), which is fresh news that allows the shrink. Killed, it leaves
		// job C running in the last state read, and the policy must hold while it cannot
		// read Flux.
		sendSignal(t, brokers, syscall.SIGKILL)
		stopped := time.Now()
		r.waitWatch("the stream broken", "False/WatchBroken")
		broken := r.watchMessage()
		r.waitPolicy("a decision on unreadable Flux", func(sp *v1alpha1.ScalingPolicy) (bool, string) {
			c := meta.FindStatusCondition(sp.Status.Conditions, v1alpha1.ConditionScalingActive)
			if c == nil {
				return false, "no ScalingActive"
			}
			return c.Status == metav1.ConditionFalse, string(c.Status) + "/" + c.Reason + ": " + c.Message
		})
		active := r.condition(v1alpha1.ConditionScalingActive)
		r.noShrinkSince(row, jobC.running, 3)
		// The kubelet would restart the container; the emulation restarts a pod's broker
		// on the pod's next update when it is not running. Ranks 1 and 2 leave some time
		// after rank 0 (they notice their parent gone), so pods are touched until every
		// rank is back.
		r.touchPods()
		restarted := time.Now()
		var last time.Time
		harness.Eventually(t, waitBound, "every rank of the size back online", func(ctx context.Context) (bool, string) {
			if time.Since(last) >= time.Second {
				r.touchPods()
				last = time.Now()
			}
			// The size may already be 2: the restarted broker's answer may allow it.
			want := fmt.Sprintf("0-%d", r.size()-1)
			online, err := r.in.ResourceStatus(ctx, "online")
			return err == nil && online == want, fmt.Sprintf("online %q, want %s (%v)", online, want, err)
		})
		// From here the restarted broker answers, and a shrink on what it says is fresh.
		r.waitWatch("the stream after the restart", "True/Following")
		// What the restarted broker says about job C decides the size: a fresh read.
		// A broker restarted without its content store knows no job C at all.
		out, err := r.in.Flux(t.Context(), "jobs", "-a", "-n", "-o", "{state}", jobC.id)
		state := strings.TrimSpace(out)
		if err != nil {
			state = "unknown (" + state + ")"
		}
		want := int32(2)
		if state == "RUN" || state == "SCHED" {
			want = 3
		}
		r.waitSize(want)
		t.Logf("FAULT %s: SIGKILL to rank 0's broker; FluxWatch went %s; ScalingActive %s; the size held at 3 for the %s until the broker was started again; the restarted broker lists job C as %q, and the size is %d (stream Following %s after the restart)",
			row, broken, active, restarted.Sub(stopped).Round(time.Millisecond), state, want, time.Since(restarted).Round(time.Millisecond))
		if want == 3 {
			r.flux("cancel", jobC.id)
			r.waitSize(2)
		}
	})

	t.Run("1,000 submits in a burst", func(t *testing.T) {
		r := r.on(t)
		const row = "1,000 submits"
		r.waitSize(2)
		reads := r.reads()
		from := time.Now()
		r.flux("submit", "--quiet", "--cc=1-1000", "--urgency=hold", "true")
		submitted := time.Since(from)
		r.waitPolicy("1,000 held jobs read", func(sp *v1alpha1.ScalingPolicy) (bool, string) {
			held := signal(sp, "flux.heldJobs")
			return held == "1000", "heldJobs " + held
		})
		n := r.reads() - reads
		// The program's reads are paced at 3 at once and one a second after, and it folds
		// lines while one is unread. A state per submit would be 1,000.
		if limit := 3 + uint64(time.Since(from)/time.Second) + 2; n > limit {
			t.Errorf("%d Flux states decided on for 1,000 submits over %s, want at most %d (3 at once, then one a second)", n, time.Since(from).Round(time.Millisecond), limit)
		}
		r.noShrinkSince(row, from, 2)
		if got := r.size(); got != 2 {
			t.Errorf("size %d after 1,000 held submits, want 2: held jobs are no demand", got)
		}
		t.Logf("FAULT %s: `flux submit --cc=1-1000 --urgency=hold` took %s; the controller decided on %d Flux states until it saw all 1,000 held, size stayed 2",
			row, submitted.Round(time.Millisecond), n)
		r.flux("cancel", "--all", "--quiet")
		r.waitPolicy("the held jobs gone", func(sp *v1alpha1.ScalingPolicy) (bool, string) {
			held := signal(sp, "flux.heldJobs")
			return held == "0", "heldJobs " + held
		})
	})
}

// watcherMarker is a phrase of the embedded watcher program (metrics/flux/watch.py), so its
// process is told apart from the reader's.
const watcherMarker = "lost the broker or a journal"

// streamRig is the fault table's view of the run.
type streamRig struct {
	t     *testing.T
	h     *harness.Harness
	in    *fluxoperator.Instance
	sizes *sizeLog
}

// on is r reporting to t, a subtest's.
func (r *streamRig) on(t *testing.T) *streamRig {
	c := *r
	c.t = t
	return &c
}

// wideJob is a running 3-node job.
type wideJob struct {
	id      string
	running time.Time // when Flux first listed it running
}

// runWide submits a 3-node job and waits for the growth to 3 and the job to run.
func (r *streamRig) runWide(what string) wideJob {
	r.t.Helper()
	id := strings.TrimSpace(r.flux("submit", "-N3", "sleep", "inf"))
	r.waitSize(3)
	harness.Eventually(r.t, waitBound, what+" running", func(ctx context.Context) (bool, string) {
		out, err := r.in.Flux(ctx, "jobs", "-a", "-n", "-o", "{state}", id)
		return err == nil && strings.TrimSpace(out) == "RUN", out
	})
	return wideJob{id: id, running: time.Now()}
}

func (r *streamRig) flux(args ...string) string {
	r.t.Helper()
	out, err := r.in.Flux(r.t.Context(), args...)
	if err != nil {
		r.t.Fatalf("flux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

// noShrinkSince fails the row if the Job's size went below low at any time since from.
func (r *streamRig) noShrinkSince(row string, from time.Time, low int32) {
	r.t.Helper()
	if got := r.sizes.minSince(from); got < low {
		r.t.Errorf("FAULT %s: the size went down to %d while it needed %d (sizes %v): a shrink on stale data", row, got, low, r.sizes.sizes())
	}
}

func (r *streamRig) size() int32 {
	r.t.Helper()
	var job batchv1.Job
	if err := r.h.Client.Get(r.t.Context(), types.NamespacedName{Namespace: r.h.Namespace, Name: mcName}, &job); err != nil {
		r.t.Fatal(err)
	}
	return ptr.Deref(job.Spec.Parallelism, 0)
}

// waitSize waits for the Job's parallelism and Flux's online ranks to match want.
func (r *streamRig) waitSize(want int32) {
	r.t.Helper()
	harness.Eventually(r.t, waitBound, fmt.Sprintf("size %d", want), func(context.Context) (bool, string) {
		got := r.size()
		return got == want, fmt.Sprintf("size %d", got)
	})
	r.in.WaitStatus(r.t, "online", fmt.Sprintf("0-%d", want-1), waitBound)
}

// reads counts the controller's reconciles of the policy: each decides on one Flux state, the
// one the stream delivered with its trigger or (without one, or before a shrink) a read.
func (r *streamRig) reads() uint64 {
	r.t.Helper()
	n, _, err := r.h.Controller.Metric("fluxscale_reconcile_duration_seconds", map[string]string{"policy": mcName})
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *streamRig) fluxErrors() uint64 {
	r.t.Helper()
	n, _, err := r.h.Controller.Metric("fluxscale_errors_total", map[string]string{"policy": mcName, "source": "flux"})
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// lookPolicy polls the policy for up to d until cond holds, and says whether it did: a
// look whose outcome is reported, not asserted.
func (r *streamRig) lookPolicy(d time.Duration, cond func(*v1alpha1.ScalingPolicy) bool) bool {
	r.t.Helper()
	err := wait.PollUntilContextTimeout(r.t.Context(), 100*time.Millisecond, d, true, func(ctx context.Context) (bool, error) {
		sp, err := r.h.Policy(ctx, mcName)
		return err == nil && cond(sp), nil
	})
	return err == nil
}

func (r *streamRig) waitPolicy(what string, cond func(*v1alpha1.ScalingPolicy) (bool, string)) {
	r.t.Helper()
	harness.Eventually(r.t, waitBound, what, func(ctx context.Context) (bool, string) {
		sp, err := r.h.Policy(ctx, mcName)
		if err != nil {
			return false, err.Error()
		}
		return cond(sp)
	})
}

// waitWatch waits for the FluxWatch condition to read want ("True/Following"). The feeder
// learns of a broken stream at once, but the condition is written by the next reconcile: an
// annotation, at most once a second, makes one without touching the spec (the poll is 300 s).
func (r *streamRig) waitWatch(what, want string) {
	r.t.Helper()
	var poked time.Time
	r.waitPolicy(what+": FluxWatch "+want, func(sp *v1alpha1.ScalingPolicy) (bool, string) {
		if time.Since(poked) >= time.Second {
			r.poke()
			poked = time.Now()
		}
		c := meta.FindStatusCondition(sp.Status.Conditions, v1alpha1.ConditionFluxWatch)
		if c == nil {
			return false, "no FluxWatch condition"
		}
		got := string(c.Status) + "/" + c.Reason
		return got == want, got + ": " + c.Message
	})
}

func (r *streamRig) watchMessage() string {
	r.t.Helper()
	return r.condition(v1alpha1.ConditionFluxWatch)
}

// condition renders the policy's condition typ as status/reason: message.
func (r *streamRig) condition(typ string) string {
	r.t.Helper()
	sp, err := r.h.Policy(r.t.Context(), mcName)
	if err != nil {
		r.t.Fatal(err)
	}
	if c := meta.FindStatusCondition(sp.Status.Conditions, typ); c != nil {
		return string(c.Status) + "/" + c.Reason + ": " + c.Message
	}
	return typ + " not set"
}

// poke annotates the policy, which makes the controller reconcile it (and read Flux).
func (r *streamRig) poke() {
	r.t.Helper()
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"fluxscale.test/poked":%q}}}`, time.Now().Format(time.RFC3339Nano))
	sp := &v1alpha1.ScalingPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: r.h.Namespace, Name: mcName}}
	if err := r.h.Client.Patch(r.t.Context(), sp, client.RawPatch(types.MergePatchType, patch)); err != nil {
		r.t.Fatal(err)
	}
}

// touchPods updates every pod of the MiniCluster, which makes the emulation start the
// broker of any whose broker is not running.
func (r *streamRig) touchPods() {
	r.t.Helper()
	ctx := r.t.Context()
	pods, err := r.h.Clientset.CoreV1().Pods(r.h.Namespace).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + mcName})
	if err != nil {
		r.t.Fatal(err)
	}
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{"fluxscale.test/touched":%q}}}`, time.Now().Format(time.RFC3339Nano))
	for _, p := range pods.Items {
		if _, err := r.h.Clientset.CoreV1().Pods(r.h.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			r.t.Fatal(err)
		}
	}
}

// signal is the value the policy's status shows for a signal.
func signal(sp *v1alpha1.ScalingPolicy, name string) string {
	for _, s := range sp.Status.Signals {
		if s.Name == name {
			return s.Value
		}
	}
	return ""
}
