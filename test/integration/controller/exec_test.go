package controller_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/fluxstandin/fixture"
	"github.com/fluxscale/fluxscale/test/fluxstandin/golden"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// The production Exec source: the controller finds the Job's completion-index-0 pod, runs the
// flux CLI in it through pods/exec (kwok runs a stand-in flux on this machine that answers
// with the outputs recorded from real Flux, elastic-config step 3: ranks 0-2 busy, jobs of
// 3, 6 and 7 nodes pending) and scales the Job on what it parsed.
func TestExecSourceReadsTheRankZeroPod(t *testing.T) {
	standin := fixture.BuildStandin(t)
	scenario := golden.ElasticConfigStep3Scenario(t)
	e := startEnvWith(t, localcluster.Options{Nodes: 1, ExecEnv: map[string]string{
		"PATH": standin + ":" + os.Getenv("PATH"), "FLUXSTANDIN_DIR": scenario,
	}})
	createIndexedJob(t, e, "work", 4)
	ctrltest.Eventually(t, time.Minute, "the Job's pods Running", func(ctx context.Context) (bool, string) {
		n, _, err := runningPods(ctx, e, "work")
		return n == 4, fmt.Sprintf("running %d (%v)", n, err)
	})
	// The stand-in flux replays recordings of the three CLI commands, not the python program.
	startController(t, e, &source.KubeSources{Config: e.Config, Reader: e.Client, Mapper: e.Client.RESTMapper(), FluxReader: flux.ReaderCLI})
	sp := jobPolicy("exec-policy", "work", 1, 6)
	sp.Spec.Flux = v1alpha1.FluxSource{Source: v1alpha1.SourceExec, Exec: &v1alpha1.ExecSource{Container: "flux"}}
	if err := e.Client.Create(t.Context(), sp); err != nil {
		t.Fatal(err)
	}
	// 3 busy ranks + 3 + 6 pending nodes (the 7-node job can never run in 6) = 12, capped at 6.
	ctrltest.Eventually(t, time.Minute, "the Job grown to 6 on the exec'd Flux state", func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, "work")
		st, err := policyStatus(ctx, e, "exec-policy")
		if err != nil {
			return false, err.Error()
		}
		return p == 6, fmt.Sprintf("parallelism %d %s; signals %+v; conditions %+v", p, msg, st.Signals, st.Conditions)
	})
	st, err := policyStatus(t.Context(), e, "exec-policy")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"flux.pendingJobs": "3", "flux.runningJobs": "2", "flux.nodesUp": "2", "flux.nodesAllocated": "3"}
	for _, s := range st.Signals {
		if v, ok := want[s.Name]; ok && (v != s.Value || !s.Healthy || s.LastUpdate == nil) {
			t.Errorf("signal %s = %q healthy %v lastUpdate %v, want %q healthy", s.Name, s.Value, s.Healthy, s.LastUpdate, v)
		}
	}
	if ok, msg := conditionIs(t.Context(), e, "exec-policy", v1alpha1.ConditionScalingActive, "True/ValidMetricFound"); !ok {
		t.Errorf("ScalingActive: %s", msg)
	}
}
