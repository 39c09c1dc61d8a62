package api

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// target is the targetRef every case shares unless it tests the targetRef itself.
const target = "targetRef: {apiVersion: flux-framework.org/v1alpha2, kind: MiniCluster, name: flux-sample}\n"

// invalidCase is a spec the API server must reject and substrings of the message a user
// gets. Specs are YAML, not Go structs, so zero values reach the server as written instead
// of being dropped by omitempty.
type invalidCase struct {
	spec string
	want []string
}

func invalidCases() map[string]invalidCase {
	return map[string]invalidCase{
		"minSize 0": {
			spec: target + "minSize: 0\nmaxSize: 4",
			want: []string{"spec.minSize", "should be greater than or equal to 1"},
		},
		"maxSize below minSize": {
			spec: target + "minSize: 5\nmaxSize: 4",
			want: []string{"maxSize must be greater than or equal to minSize"},
		},
		"maxSize missing": {
			spec: target + "minSize: 1",
			want: []string{"spec.maxSize: Required value"},
		},
		"targetRef name missing": {
			spec: "targetRef: {apiVersion: batch/v1, kind: Job}\nmaxSize: 4",
			want: []string{"spec.targetRef.name: Required value"},
		},
		"targetRef name empty": {
			spec: "targetRef: {apiVersion: batch/v1, kind: Job, name: \"\"}\nmaxSize: 4",
			want: []string{"spec.targetRef.name", "at least 1 chars long"},
		},
		"unknown flux source": {
			spec: target + "maxSize: 4\nflux: {source: Prometheus}",
			want: []string{"spec.flux.source", "Unsupported value: \"Prometheus\""},
		},
		"unknown combine": {
			spec: target + "maxSize: 4\ncombine: Sum",
			want: []string{"spec.combine", "Unsupported value: \"Sum\""},
		},
		"agent source without agent block": {
			spec: target + "maxSize: 4\nflux: {source: Agent}",
			want: []string{"flux.agent is required when flux.source is Agent"},
		},
		"agent block with exec source": {
			spec: target + "maxSize: 4\nflux: {source: Exec, agent: {url: \"http://agent:8181\"}}",
			want: []string{"flux.agent may be set only when flux.source is Agent"},
		},
		"agent url not http": {
			spec: target + "maxSize: 4\nflux: {source: Agent, agent: {url: \"agent:8181\"}}",
			want: []string{"spec.flux.agent.url", "should match '^https?://'"},
		},
		"unknown policy type": {
			spec: target + "maxSize: 4\npolicies: [{type: Memory}]",
			want: []string{"spec.policies[0].type", "Unsupported value: \"Memory\""},
		},
		"queueDepth block on a Utilization policy": {
			spec: target + "maxSize: 4\npolicies: [{type: Utilization, utilization: {targetFreeNodes: 1}, queueDepth: {pendingJobsPerNode: 2}}]",
			want: []string{"queueDepth may be set only when type is QueueDepth"},
		},
		"Utilization without its block": {
			spec: target + "maxSize: 4\npolicies: [{type: Utilization}]",
			want: []string{"utilization is required when type is Utilization"},
		},
		"Utilization with an empty block": {
			spec: target + "maxSize: 4\npolicies: [{type: Utilization, utilization: {}}]",
			want: []string{"utilization needs targetFreeNodes or targetCPUPercent"},
		},
		"Schedule without windows": {
			spec: target + "maxSize: 4\npolicies: [{type: Schedule}]",
			want: []string{"schedule is required when type is Schedule"},
		},
		"Schedule with an empty window list": {
			spec: target + "maxSize: 4\npolicies: [{type: Schedule, schedule: []}]",
			want: []string{"schedule is required when type is Schedule"},
		},
		"schedule window of 0 minutes": {
			spec: target + "maxSize: 4\npolicies: [{type: Schedule, schedule: [{cron: \"0 8 * * 1-5\", durationMinutes: 0, minSize: 2}]}]",
			want: []string{"durationMinutes", "should be greater than or equal to 1"},
		},
		"External without its block": {
			spec: target + "maxSize: 4\npolicies: [{type: External}]",
			want: []string{"external is required when type is External"},
		},
		"external block on a QueueDepth policy": {
			spec: target + "maxSize: 4\npolicies: [{type: QueueDepth, external: {address: \"scaler:9090\"}}]",
			want: []string{"external may be set only when type is External"},
		},
		"external address with a scheme": {
			spec: target + "maxSize: 4\npolicies: [{type: External, external: {address: \"grpc://scaler:9090\"}}]",
			want: []string{"address must be host:port"},
		},
		"external address without a port": {
			spec: target + "maxSize: 4\npolicies: [{type: External, external: {address: \"scaler\"}}]",
			want: []string{"address must be host:port"},
		},
		"external timeout of 61 s": {
			spec: target + "maxSize: 4\npolicies: [{type: External, external: {address: \"scaler:9090\", timeoutSeconds: 61}}]",
			want: []string{"timeoutSeconds", "should be less than or equal to 60"},
		},
		"external TLS without a Secret": {
			spec: target + "maxSize: 4\npolicies: [{type: External, external: {address: \"scaler:9090\", tls: {serverName: scaler}}}]",
			want: []string{"secretName: Required value"},
		},
		"fallback Size without size": {
			spec: target + "maxSize: 4\nfallback: {action: Size}",
			want: []string{"fallback.size is required when fallback.action is Size"},
		},
		"fallback size with Hold": {
			spec: target + "maxSize: 4\nfallback: {action: Hold, size: 2}",
			want: []string{"fallback.size may be set only when fallback.action is Size"},
		},
		"fallback size above maxSize": {
			spec: target + "maxSize: 4\nfallback: {action: Size, size: 6}",
			want: []string{"fallback.size must lie within [minSize, maxSize]"},
		},
		"fallback size below minSize": {
			spec: target + "minSize: 3\nmaxSize: 4\nfallback: {action: Size, size: 2}",
			want: []string{"fallback.size must lie within [minSize, maxSize]"},
		},
		"rate policy periodSeconds 0": {
			spec: target + "maxSize: 4\nbehavior: {scaleUp: {policies: [{type: Pods, value: 1, periodSeconds: 0}]}}",
			want: []string{"periodSeconds", "should be greater than or equal to 1"},
		},
		"rate policy periodSeconds 1801": {
			spec: target + "maxSize: 4\nbehavior: {scaleDown: {policies: [{type: Percent, value: 10, periodSeconds: 1801}]}}",
			want: []string{"periodSeconds", "should be less than or equal to 1800"},
		},
		"rate policy value 0": {
			spec: target + "maxSize: 4\nbehavior: {scaleUp: {policies: [{type: Pods, value: 0, periodSeconds: 15}]}}",
			want: []string{"value", "should be greater than or equal to 1"},
		},
		"unknown rate policy type": {
			spec: target + "maxSize: 4\nbehavior: {scaleUp: {policies: [{type: Nodes, value: 1, periodSeconds: 15}]}}",
			want: []string{"Unsupported value: \"Nodes\""},
		},
		"unknown selectPolicy": {
			spec: target + "maxSize: 4\nbehavior: {scaleDown: {selectPolicy: Average}}",
			want: []string{"Unsupported value: \"Average\""},
		},
		"negative tolerance": {
			spec: target + "maxSize: 4\nbehavior: {scaleDown: {tolerance: \"-0.1\"}}",
			want: []string{"tolerance must not be negative"},
		},
		"stabilization window above an hour": {
			spec: target + "maxSize: 4\nbehavior: {scaleDown: {stabilizationWindowSeconds: 3601}}",
			want: []string{"stabilizationWindowSeconds", "should be less than or equal to 3600"},
		},
		"hints maxTTLSeconds 0": {
			spec: target + "maxSize: 4\nhints: {enabled: true, maxTTLSeconds: 0}",
			want: []string{"spec.hints.maxTTLSeconds", "should be greater than or equal to 1"},
		},
		"unknown hint mode": {
			spec: target + "maxSize: 4\nhints: {enabled: true, mode: Ceiling}",
			want: []string{"spec.hints.mode", "Unsupported value: \"Ceiling\""},
		},
		"unknown scaleDown mode": {
			spec: target + "maxSize: 4\nscaleDown: {mode: Evict}",
			want: []string{"spec.scaleDown.mode", "Unsupported value: \"Evict\""},
		},
		"pollIntervalSeconds 0": {
			spec: target + "maxSize: 4\npollIntervalSeconds: 0",
			want: []string{"spec.pollIntervalSeconds", "should be greater than or equal to 1"},
		},
	}
}

// testInvalid checks each invalid spec is refused as Invalid with its message, and that the
// shared base (target and maxSize) is valid, so a rejection is due to the case's change.
func testInvalid(t *testing.T, c client.Client) {
	ns := createNamespace(t, c, "invalid")
	if err := c.Create(t.Context(), policyFromYAML(t, ns, "base", target+"maxSize: 4")); err != nil {
		t.Fatalf("the valid base policy was rejected: %v", err)
	}
	for name, tc := range invalidCases() {
		t.Run(name, func(t *testing.T) {
			err := c.Create(t.Context(), policyFromYAML(t, ns, "p", tc.spec))
			if err == nil {
				t.Fatalf("spec was accepted, want it rejected with %q:\n%s", tc.want, tc.spec)
			}
			t.Logf("rejected: %v", err)
			if !apierrors.IsInvalid(err) {
				t.Fatalf("error is %v, want an Invalid (422) error", err)
			}
			// A CEL rule that fails to evaluate (e.g. "no such key") is a bug in the rule even
			// when another rule rejects the object: the user gets a confusing message.
			if strings.Contains(err.Error(), "evaluating rule") {
				t.Errorf("a validation rule failed to evaluate: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func policyFromYAML(t *testing.T, ns, name, spec string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	var specMap map[string]any
	if err := yaml.Unmarshal([]byte(spec), &specMap); err != nil {
		t.Fatalf("bad test spec YAML: %v\n%s", err, spec)
	}
	obj.SetAPIVersion("fluxscale.dev/v1alpha1")
	obj.SetKind("ScalingPolicy")
	obj.SetNamespace(ns)
	obj.SetName(name)
	obj.Object["spec"] = specMap
	return obj
}
