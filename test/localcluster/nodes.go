package localcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// createNodes creates n kwok-managed nodes and waits until kwok has made them Ready.
func (c *Cluster) createNodes(ctx context.Context, n int, kwok *process) error {
	// Large enough that no test is limited by it; nothing schedules against it anyway.
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	for i := range n {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{NodeAnnotation: "fake"},
				Labels:      map[string]string{"type": "kwok", corev1.LabelHostname: name},
			},
			Status: corev1.NodeStatus{Allocatable: resources, Capacity: resources},
		}
		if _, err := c.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating node %s: %w", name, err)
		}
		c.nodes = append(c.nodes, name)
	}
	for _, name := range c.nodes {
		err := c.poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
			node, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return nodeReady(node), nil
		})
		if err != nil {
			return kwok.withLog(fmt.Errorf("waiting for node %s to be Ready: %w", name, err))
		}
	}
	return nil
}

// nodeReady also requires the InternalIP address kwok adds, which pods/exec needs.
func nodeReady(node *corev1.Node) bool {
	hasIP := false
	for _, a := range node.Status.Addresses {
		hasIP = hasIP || a.Type == corev1.NodeInternalIP
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return hasIP && cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
