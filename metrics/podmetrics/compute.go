package podmetrics

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func listOptions(selector labels.Selector) metav1.ListOptions {
	return metav1.ListOptions{LabelSelector: selector.String()}
}

// sums accumulates usage and requests in milli-CPU and bytes.
type sums struct {
	cpuUse, cpuReq int64
	memUse, memReq int64
}

// compute relates the samples (pod name -> container name -> usage) to the pods' requests.
func compute(pods []corev1.Pod, samples map[string]map[string]corev1.ResourceList) Usage {
	var u Usage
	var all, mem sums
	for i := range pods {
		pod := &pods[i]
		if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
			continue
		}
		s, why := podSums(pod, samples[pod.Name])
		switch why {
		case skipNoCPURequest:
			u.NoCPURequest++
			u.skip(pod.Name)
			continue
		case skipNoMetrics:
			u.NoMetrics++
			u.skip(pod.Name)
			continue
		}
		u.Pods++
		all.cpuUse += s.cpuUse
		all.cpuReq += s.cpuReq
		if s.memReq > 0 {
			u.MemoryPods++
			mem.memUse += s.memUse
			mem.memReq += s.memReq
		}
	}
	if all.cpuReq > 0 {
		u.CPUPercent = percent(all.cpuUse, all.cpuReq)
	}
	if mem.memReq > 0 {
		u.MemoryPercent = percent(mem.memUse, mem.memReq)
	}
	return u
}

func (u *Usage) skip(name string) {
	if len(u.Skipped) < MaxSkippedNames {
		u.Skipped = append(u.Skipped, name)
	}
}

// skipReason says why a pod is not counted.
type skipReason int

const (
	counted skipReason = iota
	skipNoCPURequest
	skipNoMetrics
)

// podSums adds up a pod's requests and usage over the containers that run for its whole life:
// app containers and restartable init containers (sidecars). memReq stays 0 unless every
// such container requests memory.
func podSums(pod *corev1.Pod, usage map[string]corev1.ResourceList) (sums, skipReason) {
	var s sums
	memComplete := true
	containers := runningContainers(pod)
	for _, c := range containers {
		cpu, ok := c.Resources.Requests[corev1.ResourceCPU]
		if !ok || cpu.IsZero() {
			return sums{}, skipNoCPURequest
		}
		s.cpuReq += cpu.MilliValue()
		if m, ok := c.Resources.Requests[corev1.ResourceMemory]; ok && !m.IsZero() {
			s.memReq += m.Value()
		} else {
			memComplete = false
		}
	}
	for _, c := range containers {
		use, ok := usage[c.Name]
		if !ok {
			return sums{}, skipNoMetrics
		}
		s.cpuUse += use.Cpu().MilliValue()
		s.memUse += use.Memory().Value()
	}
	if !memComplete {
		s.memReq, s.memUse = 0, 0
	}
	return s, counted
}

func runningContainers(pod *corev1.Pod) []corev1.Container {
	out := append([]corev1.Container(nil), pod.Spec.Containers...)
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, c)
		}
	}
	return out
}

// percent is use*100/req truncated, as HPA's GetResourceUtilizationRatio computes it, and
// capped to int32.
func percent(use, req int64) int32 {
	p := use * 100 / req
	if p > int64(^uint32(0)>>1) {
		return int32(^uint32(0) >> 1)
	}
	return int32(p)
}
