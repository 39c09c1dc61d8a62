package minicluster

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// labelPods adds the job-index label to the MiniCluster's pods that lack it, as the operator
// does after each reconcile (controllers/flux/labels.go addBrokerLabel).
func (s *StandIn) labelPods(ctx context.Context, mc *MiniCluster) error {
	pods := &corev1.PodList{}
	err := s.client.List(ctx, pods, client.InNamespace(mc.Namespace), client.MatchingLabels{SelectorLabel: mc.Name})
	if err != nil {
		return fmt.Errorf("listing pods of %s: %w", mc.Name, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if _, ok := pod.Labels[IndexLabel]; ok || pod.DeletionTimestamp != nil {
			continue
		}
		index, ok := podIndex(mc.Name, pod.Name)
		if !ok {
			continue
		}
		patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, IndexLabel, index)
		err := s.client.Patch(ctx, pod, client.RawPatch(types.MergePatchType, []byte(patch)))
		if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("labelling pod %s: %w", pod.Name, err)
		}
	}
	return nil
}

// podIndex parses the index out of a Job pod name "<name>-<index>-<suffix>", as the operator
// does; it reports false for names not of that shape.
func podIndex(name, podName string) (string, bool) {
	rest, ok := strings.CutPrefix(podName, name+"-")
	if !ok {
		return "", false
	}
	index, _, _ := strings.Cut(rest, "-")
	if index == "" || strings.Trim(index, "0123456789") != "" {
		return "", false
	}
	return index, true
}
