package api

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// testValidEdges checks the rules do not over-reject: each spec sits at an edge of a rule
// in invalidCases and must be accepted.
func testValidEdges(t *testing.T, c client.Client) {
	ns := createNamespace(t, c, "valid")
	cases := map[string]string{
		"minSize equal to maxSize":             "minSize: 4\nmaxSize: 4",
		"fallback Size at maxSize":             "maxSize: 4\nfallback: {action: Size, size: 4}",
		"fallback Size at minSize":             "minSize: 2\nmaxSize: 4\nfallback: {action: Size, size: 2}",
		"agent source with url":                "maxSize: 4\nflux: {source: Agent, agent: {url: \"https://agent:8181\", tokenSecretRef: {name: s}}}",
		"custom metrics source with its block": "maxSize: 4\nflux: {source: CustomMetrics, customMetrics: {resource: pods, name: flux-sample-0}}",
		"exec source with container":           "maxSize: 4\nflux: {source: Exec, exec: {container: flux}}",
		"utilization by CPU only":              "maxSize: 4\npolicies: [{type: Utilization, utilization: {targetCPUPercent: 80}}]",
		"utilization of zero free nodes":       "maxSize: 4\npolicies: [{type: Utilization, utilization: {targetFreeNodes: 0}}]",
		"queueDepth without its block":         "maxSize: 4\npolicies: [{type: QueueDepth}]",
		"tolerance zero as an integer":         "maxSize: 4\nbehavior: {scaleUp: {tolerance: 0}}",
		"tolerance as a decimal string":        "maxSize: 4\nbehavior: {scaleDown: {tolerance: \"0.05\"}}",
		"rate policy period at the maximum":    "maxSize: 4\nbehavior: {scaleUp: {selectPolicy: Disabled, policies: [{type: Percent, value: 1, periodSeconds: 1800}]}}",
		"external with TLS and metadata":       "maxSize: 4\npolicies: [{type: External, external: {address: \"scaler.ns.svc:9090\", metadata: {queue: a}, timeoutSeconds: 60, tls: {secretName: s}}}]",
		"external at an IPv6 address":          "maxSize: 4\npolicies: [{type: External, external: {address: \"[::1]:9090\"}}]",
		"hints disabled":                       "maxSize: 4\nhints: {enabled: false}",
		"scale down never":                     "maxSize: 4\nscaleDown: {mode: Never}",
		"eight policies":                       "maxSize: 4\npolicies: [" + strings.Repeat("{type: QueueDepth},", 7) + "{type: QueueDepth}]",
	}
	i := 0
	for name, spec := range cases {
		i++
		t.Run(name, func(t *testing.T) {
			obj := policyFromYAML(t, ns, fmt.Sprintf("p%d", i), target+spec)
			if err := c.Create(t.Context(), obj); err != nil {
				t.Errorf("valid spec rejected: %v\n%s", err, spec)
			}
		})
	}
}
