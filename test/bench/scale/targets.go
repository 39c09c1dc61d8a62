package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// Target kinds the benchmark can scale.
const (
	kindMiniCluster = "minicluster"
	kindJob         = "job"
)

// maxSize is every target's and policy's maximum: converging takes each one from 1 to 2,
// and a trigger-to-scale probe from 2 to 3.
const maxSize = 3

// creators is how many goroutines create the targets and policies.
const creators = 8

// createTargets creates n targets of size 1 (MiniClusters, whose Jobs the operator
// stand-in creates, or bare Indexed Jobs) and n policies (minSize 1, maxSize 3,
// permissive behavior) over them, and returns each policy's simulated Flux cluster (3
// ranks up, empty queue).
func createTargets(ctx context.Context, env *benchkit.Env, kind string, n int, poll int32) (simSources, error) {
	sims := simSources{}
	for i := range n {
		sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: maxSize, InitialSize: maxSize})
		if err != nil {
			return nil, err
		}
		sims[policyName(i)] = &hangable{countingCluster: &countingCluster{Cluster: sim}}
	}
	work := make(chan int)
	errs := make(chan error, creators)
	var wg sync.WaitGroup
	for range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := createOne(ctx, env, kind, i, poll); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case work <- i:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return sims, err
}

func createOne(ctx context.Context, env *benchkit.Env, kind string, i int, poll int32) error {
	name := targetName(i)
	var tgt client.Object
	ref := v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: name}
	if kind == kindMiniCluster {
		tgt = builders.MakeMiniCluster(name, benchkit.Namespace).Size(1).MaxSize(maxSize).Interactive().Obj()
		ref = v1alpha1.TargetRef{APIVersion: minicluster.GroupVersion.String(), Kind: minicluster.Kind, Name: name}
	} else {
		tgt = benchkit.IndexedJob(benchkit.Namespace, name, env.Node, 1)
	}
	if err := env.Client.Create(ctx, tgt); err != nil {
		return fmt.Errorf("creating %s %s: %w", kind, name, err)
	}
	sp := benchkit.PermissivePolicy(benchkit.Namespace, policyName(i), name, 1, maxSize, poll)
	sp.Spec.TargetRef = ref
	if err := env.Client.Create(ctx, sp); err != nil {
		return fmt.Errorf("creating ScalingPolicy %s: %w", sp.Name, err)
	}
	return nil
}

// waitPodsRunning waits until the namespace has n Running pods: one per member, before
// the controller starts, so it starts on targets as a user's would be.
func waitPodsRunning(ctx context.Context, env *benchkit.Env, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		list, err := env.Cluster.Client().CoreV1().Pods(benchkit.Namespace).List(ctx,
			metav1.ListOptions{FieldSelector: "status.phase=Running", ResourceVersion: "0"})
		if err != nil {
			return fmt.Errorf("listing Running pods: %w", err)
		}
		if len(list.Items) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d pods Running after %s", len(list.Items), n, timeout)
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return err
		}
	}
}

func policyName(i int) string { return fmt.Sprintf("pol-%04d", i) }

// targetName names policy i's target, MiniCluster or Job (a MiniCluster's Job has its name).
func targetName(i int) string { return fmt.Sprintf("tgt-%04d", i) }
