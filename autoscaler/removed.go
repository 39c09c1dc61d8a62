package autoscaler

import (
	"context"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// removedRanks are the owned ranks a shrink took away whose old Flux brokers may still be
// connected (their pods terminating). The policy keeps them drained even when the size grows
// back over them: undrained, Flux would start jobs on a broker whose pod is going away.
//
// It is derived again on every pass rather than only recorded at the shrink, so a
// controller that crashed between the shrink and its status write still finds them: an
// owned rank at or above the current size is one a shrink removed. A rank leaves the set
// once fresh Flux state shows its broker offline (or no longer lists it); without fresh
// state nothing leaves. Targets with pods (removedByPod) use the pod instead.
func removedRanks(prev, owned flux.RankSet, current int32, reading fluxReading) flux.RankSet {
	var st *flux.State
	if reading.fresh && reading.state != nil && reading.state.PerRank {
		st = reading.state
	}
	var out flux.RankSet
	for _, r := range owned {
		if !prev.Contains(r) && r < current {
			continue
		}
		if st != nil && !online(st, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// removedByPod is removedRanks for a target whose ranks are the completion indexes of a
// Job's pods: a removed rank is tied to the pod that ran its broker (by UID) and leaves the
// set once that pod is gone, whether or not a Flux read saw the broker offline. A shrink
// and a regrow between two reads (Exec has no trigger) used to miss that edge and leave the
// rank drained for good. The pod is recorded on the first pass that sees the rank removed,
// while the Job's size is below it, so no new pod can hold its index yet. Ranks recorded
// before pods were (or when the pods cannot be listed) keep the Flux rule.
func (p *pass) removedByPod(ctx context.Context, o *outcome, current int32) (flux.RankSet, []v1alpha1.RemovedPod) {
	st := &p.sp.Status
	prev := removedFromStatus(ctx, st)
	if o.target.JobName == "" {
		return removedRanks(prev, o.owned, current, o.flux), nil
	}
	prevPods := map[int32]types.UID{}
	for _, rp := range st.RemovedPods {
		prevPods[rp.Rank] = rp.UID
	}
	var candidates flux.RankSet
	for _, r := range o.owned {
		if prev.Contains(r) || r >= current {
			candidates = append(candidates, r)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	pods, err := p.jobPods(ctx, o.target)
	if err != nil {
		log.FromContext(ctx).Error(err, "listing the target's pods to tell removed ranks; keeping them as they were")
		return removedRanks(prev, o.owned, current, o.flux), st.RemovedPods
	}
	var ranks flux.RankSet
	var out []v1alpha1.RemovedPod
	for _, r := range candidates {
		uid, recorded := prevPods[r]
		switch {
		case recorded:
		case r >= current:
			uid = pods.byIndex[r]
		default: // inside the size and never tied to a pod: the Flux rule
			if len(removedRanks(prev, flux.RankSet{r}, current, o.flux)) > 0 {
				ranks = append(ranks, r)
			}
			continue
		}
		if uid == "" || !pods.uids[uid] {
			continue // the pod that ran its broker is gone, and the broker with it
		}
		ranks = append(ranks, r)
		out = append(out, v1alpha1.RemovedPod{Rank: r, UID: uid})
	}
	return ranks, out
}

// podsOfJob are a Job's pods: every UID, and for each completion index one pod holding it
// (a terminating one when there are two: the old broker).
type podsOfJob struct {
	uids    map[types.UID]bool
	byIndex map[int32]types.UID
}

func (p *pass) jobPods(ctx context.Context, tgt *target.Info) (podsOfJob, error) {
	var list corev1.PodList
	if err := p.r.reader.List(ctx, &list, client.InNamespace(tgt.Namespace),
		client.MatchingLabels{batchv1.JobNameLabel: tgt.JobName}); err != nil {
		return podsOfJob{}, err
	}
	out := podsOfJob{uids: map[types.UID]bool{}, byIndex: map[int32]types.UID{}}
	for i := range list.Items {
		pod := &list.Items[i]
		out.uids[pod.UID] = true
		idx, err := strconv.ParseInt(pod.Labels[batchv1.JobCompletionIndexAnnotation], 10, 32)
		if err != nil {
			continue
		}
		if _, seen := out.byIndex[int32(idx)]; !seen || pod.DeletionTimestamp != nil {
			out.byIndex[int32(idx)] = pod.UID
		}
	}
	return out, nil
}

// online reports whether Flux lists rank r with its broker up.
func online(st *flux.State, r int32) bool {
	for _, rk := range st.Ranks {
		if rk.Rank == r {
			return rk.Online
		}
	}
	return false
}
