package benchkit

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/fluxscale/fluxscale/test/minicluster"
)

// WatchMiniClusterSizes runs a watch of the namespace's MiniClusters until ctx ends and
// records every change of spec.size: the moment the controller's resize is visible, before
// the operator has moved the Job. A MiniCluster without spec.size counts as size 1, the
// operator's default.
func WatchMiniClusterSizes(ctx context.Context, dyn dynamic.Interface, namespace string) (*SizeWatch, error) {
	res := dyn.Resource(minicluster.GroupVersion.WithResource("miniclusters")).Namespace(namespace)
	w := &SizeWatch{seen: map[string][]Observation{}}
	list, err := res.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing MiniClusters: %w", err)
	}
	for i := range list.Items {
		w.observe(list.Items[i].GetName(), specSize(&list.Items[i]), time.Now())
	}
	rv := list.GetResourceVersion()
	go func() {
		for ctx.Err() == nil {
			wi, err := res.Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
			if err != nil {
				time.Sleep(100 * time.Millisecond) // a program, not a test: pause before re-watching
				continue
			}
			for ev := range wi.ResultChan() {
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				rv = u.GetResourceVersion()
				if ev.Type == watch.Added || ev.Type == watch.Modified {
					w.observe(u.GetName(), specSize(u), time.Now())
				}
			}
			wi.Stop()
		}
	}()
	return w, nil
}

func specSize(u *unstructured.Unstructured) int32 {
	size, found, err := unstructured.NestedInt64(u.Object, "spec", "size")
	if !found || err != nil {
		return 1
	}
	return int32(size)
}
