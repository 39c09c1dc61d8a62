package autoscaler

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
)

// ambiguous refuses a policy when an older one targets the same object: two policies would
// fight over its size and over the ranks each drains. The oldest (by creation, then name)
// keeps the target, so adding a second policy never changes what the first does.
func (p *pass) ambiguous(ctx context.Context) (*target.Problem, error) {
	sp := p.sp
	keys := source.TargetIndexValues(sp)
	if len(keys) == 0 {
		return nil, nil // an apiVersion that does not parse: Resolve reports it
	}
	var list v1alpha1.ScalingPolicyList
	if err := p.r.client.List(ctx, &list, client.InNamespace(sp.Namespace), client.MatchingFields{source.TargetIndex: keys[0]}); err != nil {
		return nil, fmt.Errorf("listing the ScalingPolicies of target %s: %w", keys[0], err)
	}
	for i := range list.Items {
		other := &list.Items[i]
		if other.Name == sp.Name || !other.DeletionTimestamp.IsZero() || !olderThan(other, sp) {
			continue
		}
		ref := sp.Spec.TargetRef
		return &target.Problem{Reason: v1alpha1.ReasonAmbiguousTarget, Message: fmt.Sprintf(
			"ScalingPolicy %s (created %s) already scales %s %s: this policy does nothing while it exists; "+
				"delete one of the two, or point this one's targetRef elsewhere",
			other.Name, other.CreationTimestamp.UTC().Format(time.RFC3339), ref.Kind, ref.Name)}, nil
	}
	return nil, nil
}

// olderThan orders policies by creation time, then by name for policies created in the same
// second.
func olderThan(a, b *v1alpha1.ScalingPolicy) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
