package hints

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// apiError is an error answered with a status code and a JSON body {"error": msg}.
type apiError struct {
	status int
	msg    string
	// retryAfter, when above 0, is sent as Retry-After (whole seconds, rounded up).
	retryAfter time.Duration
	// authenticate, when set, is sent as WWW-Authenticate.
	authenticate string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeError answers err: an *apiError as it says, anything else as a 500 whose text is
// err's (our own wrapped messages, never a secret).
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, msg: err.Error()}
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ae.retryAfter.Seconds()))))
	}
	if ae.authenticate != "" {
		w.Header().Set("WWW-Authenticate", ae.authenticate)
	}
	writeJSON(w, ae.status, errorBody{Error: ae.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The status is sent: an encoding error can only be a broken connection.
	_ = json.NewEncoder(w).Encode(v)
}
