package hints

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// PostResponse is the 202 answer to a POST.
type PostResponse struct {
	// ID identifies the hint.
	ID string `json:"id"`
	// Size is the size asked for (a delta resolved and bounded).
	Size int32 `json:"size"`
	// Mode is the policy's hint mode, Floor or Exact.
	Mode v1alpha1.HintMode `json:"mode"`
	// ExpiresAt is when the hint stops counting.
	ExpiresAt time.Time `json:"expiresAt"`
	// Message, when set, says how a delta was clamped.
	Message string `json:"message,omitempty"`
}

// ListResponse is the 200 answer to a GET: the unexpired hints, sorted by subject.
type ListResponse struct {
	Hints []HintView `json:"hints"`
}

// HintView is one hint as the API shows it.
type HintView struct {
	ID        string            `json:"id"`
	Subject   string            `json:"subject"`
	Size      int32             `json:"size"`
	Mode      v1alpha1.HintMode `json:"mode"`
	ExpiresAt time.Time         `json:"expiresAt"`
	Reason    string            `json:"reason,omitempty"`
}

func views(hs []policy.Hint) []HintView {
	out := make([]HintView, 0, len(hs))
	for _, h := range hs {
		out = append(out, HintView{ID: h.ID, Subject: h.Subject, Size: h.Size, Mode: h.Mode, ExpiresAt: h.Expires.UTC(), Reason: h.Reason})
	}
	return out
}

// FromStatus converts status.activeHints to hints (for Seed and for policy.Input).
func FromStatus(hs []v1alpha1.HintStatus) []policy.Hint {
	out := make([]policy.Hint, 0, len(hs))
	for _, h := range hs {
		out = append(out, policy.Hint{ID: h.ID, Subject: h.Subject, Size: h.Size, Mode: h.Mode, Expires: h.ExpiresAt.Time, Reason: h.Reason})
	}
	return out
}

// ToStatus converts hints (Store.List) to status.activeHints.
func ToStatus(hs []policy.Hint) []v1alpha1.HintStatus {
	out := make([]v1alpha1.HintStatus, 0, len(hs))
	for _, h := range hs {
		out = append(out, v1alpha1.HintStatus{ID: h.ID, Subject: h.Subject, Size: h.Size, Mode: h.Mode, ExpiresAt: metav1.NewTime(h.Expires), Reason: h.Reason})
	}
	return out
}
