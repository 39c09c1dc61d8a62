package policy

import (
	"fmt"
	"strings"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// steps explains a decision: every step that moved the size adds a sentence, and the last
// one that held it back names the ScalingLimited reason (HPA keeps only the last step's
// reason and loses the stabilization one; we keep both in the message).
type steps struct {
	limit string
	msg   strings.Builder
}

// note adds an explanation without naming a limit.
func (t *steps) note(format string, args ...any) {
	if t.msg.Len() > 0 {
		t.msg.WriteString("; ")
	}
	fmt.Fprintf(&t.msg, format, args...)
}

// limited records that the step named by reason changed the size, and why.
func (t *steps) limited(reason, format string, args ...any) {
	t.limit = reason
	t.note(format, args...)
}

// reason is the ScalingLimited reason of the decision.
func (t *steps) reason() string {
	if t.limit == "" {
		return v1alpha1.ReasonDesiredWithinRange
	}
	return t.limit
}
