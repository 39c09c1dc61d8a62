package hints

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Request limits.
const (
	// MaxBodyBytes bounds a POST body; larger ones get 413.
	MaxBodyBytes = 4 << 10
	// MaxReasonBytes bounds the reason.
	MaxReasonBytes = 256
	// defaultMaxTTLSeconds is the API default of spec.hints.maxTTLSeconds, for objects that
	// did not go through the API server's defaulting.
	defaultMaxTTLSeconds = 3600
)

// HintRequest is the body of a POST: exactly one of Size and Delta.
type HintRequest struct {
	// Size asks for this many nodes.
	Size *int32 `json:"size,omitempty"`
	// Delta asks for the policy's desired size (or current size) plus Delta nodes.
	Delta *int32 `json:"delta,omitempty"`
	// TTLSeconds is how long the hint lasts: 1 to the policy's hints.maxTTLSeconds, which
	// is also the default.
	TTLSeconds *int32 `json:"ttlSeconds,omitempty"`
	// Reason is free text shown in status and events: printable, at most 256 bytes.
	Reason string `json:"reason,omitempty"`
}

// decodeRequest reads one JSON object with only HintRequest's fields.
func decodeRequest(body []byte) (HintRequest, error) {
	var req HintRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return HintRequest{}, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return HintRequest{}, errorf(http.StatusBadRequest, "the body must be one JSON object, with nothing after it")
	}
	return req, nil
}

// decodeError turns encoding/json's errors into messages that name the field.
func decodeError(err error) *apiError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return errorf(http.StatusBadRequest, "field %s: a JSON %s is not valid here, want %s",
			typeErr.Field, typeErr.Value, wantType(typeErr.Field))
	case errors.As(err, &typeErr):
		return errorf(http.StatusBadRequest, "the body must be a JSON object like {\"size\": 4, \"ttlSeconds\": 600}, not a %s", typeErr.Value)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "the body is not valid JSON (%v): send e.g. {\"size\": 4, \"ttlSeconds\": 600}", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "%s: the fields are size or delta, ttlSeconds and reason",
			strings.TrimPrefix(err.Error(), "json: "))
	default:
		return errorf(http.StatusBadRequest, "reading the body: %v", err)
	}
}

func wantType(field string) string {
	if field == "reason" {
		return "a string"
	}
	return "a whole number in the int32 range"
}

// resolved is a validated hint request against one policy.
type resolved struct {
	size   int32
	ttl    time.Duration
	reason string
	// note explains a delta that was clamped to the bounds.
	note string
}

// resolve checks req against the policy's bounds and hint settings.
func resolve(req HintRequest, sp *v1alpha1.ScalingPolicy) (resolved, error) {
	key := sp.Namespace + "/" + sp.Name
	lo, hi, hiFrom := bounds(sp)
	var out resolved
	switch {
	case req.Size != nil && req.Delta != nil:
		return out, errorf(http.StatusBadRequest, "size and delta are both set (size %d, delta %d): send exactly one", *req.Size, *req.Delta)
	case req.Size == nil && req.Delta == nil:
		return out, errorf(http.StatusBadRequest, "neither size nor delta is set: send exactly one, e.g. {\"size\": 4}")
	case req.Size != nil:
		if *req.Size < lo || *req.Size > hi {
			return out, errorf(http.StatusBadRequest, "size %d is outside policy %s's bounds [%d, %d] (spec.minSize, %s): ask for a size within them",
				*req.Size, key, lo, hi, hiFrom)
		}
		out.size = *req.Size
	default:
		base := sp.Status.DesiredSize
		if base == 0 {
			base = sp.Status.CurrentSize
		}
		if base == 0 {
			base = lo
		}
		want := int64(base) + int64(*req.Delta)
		out.size = int32(min(max(want, int64(lo)), int64(hi)))
		if int64(out.size) != want {
			out.note = fmt.Sprintf("delta %+d from size %d gives %d, clamped to the bounds [%d, %d]", *req.Delta, base, want, lo, hi)
		}
	}
	maxTTL := sp.Spec.Hints.MaxTTLSeconds
	if maxTTL <= 0 {
		maxTTL = defaultMaxTTLSeconds
	}
	ttl := maxTTL
	if req.TTLSeconds != nil {
		ttl = *req.TTLSeconds
		if ttl < 1 || ttl > maxTTL {
			return out, errorf(http.StatusBadRequest, "ttlSeconds %d is outside [1, %d] (spec.hints.maxTTLSeconds of policy %s): ask for a shorter hint or raise the maximum",
				ttl, maxTTL, key)
		}
	}
	out.ttl = time.Duration(ttl) * time.Second
	if err := checkReason(req.Reason); err != nil {
		return out, err
	}
	out.reason = req.Reason
	return out, nil
}

// bounds are the sizes a hint may ask for, and where the upper one comes from.
func bounds(sp *v1alpha1.ScalingPolicy) (lo, hi int32, hiFrom string) {
	lo, hi, hiFrom = max(sp.Spec.MinSize, 1), sp.Spec.MaxSize, "spec.maxSize"
	if t := sp.Status.TargetMaxSize; t > 0 && t < hi {
		hi, hiFrom = t, "the target's own maximum size"
	}
	return lo, max(hi, lo), hiFrom
}

func checkReason(reason string) error {
	if len(reason) > MaxReasonBytes {
		return errorf(http.StatusBadRequest, "reason is %d bytes long, more than %d: shorten it", len(reason), MaxReasonBytes)
	}
	if !utf8.ValidString(reason) {
		return errorf(http.StatusBadRequest, "reason is not valid UTF-8")
	}
	for i, r := range reason {
		if !unicode.IsPrint(r) {
			return errorf(http.StatusBadRequest, "reason has a non-printable character %q at byte %d: use plain text on one line", r, i)
		}
	}
	return nil
}
