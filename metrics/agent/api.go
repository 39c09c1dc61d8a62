// Package agent is the fluxscale agent's HTTP API: the server that runs beside the lead
// broker (it reads Flux through a flux.Client and serves its state, long-polls, Prometheus
// metrics, and authenticated drains) and the client the controller uses, which is itself a
// flux.Client and a flux.Watcher.
//
// API:
//
//	GET  /v1/state[?since=V&wait=30s]  flux.State as JSON; with wait, returns as soon as the
//	                                   state's version differs from V, or when wait passes
//	POST /v1/drain    {"ranks":"2-3","reason":"..."}  Authorization: Bearer <token>
//	POST /v1/undrain  {"ranks":"2-3"}                 Authorization: Bearer <token>
//	GET  /metrics                      Prometheus text format
//	GET  /healthz                      200 while the process serves
//
// Errors are JSON {"error": "..."}: 400 bad parameters, 401 missing or malformed
// Authorization, 403 wrong token (or drains disabled), 413 body too large, 502 Flux refused
// or failed, 503 no current state (the last read of Flux failed or none finished yet).
package agent

import (
	"encoding/json"
	"net/http"
	"time"
)

// Paths of the API.
const (
	PathState   = "/v1/state"
	PathDrain   = "/v1/drain"
	PathUndrain = "/v1/undrain"
	PathMetrics = "/metrics"
	PathHealthz = "/healthz"
)

// DefaultPort is the port the agent listens on by default.
const DefaultPort = 8181

// DefaultMaxWait bounds a long-poll's wait parameter on the server.
const DefaultMaxWait = 60 * time.Second

// maxRequestBody bounds drain and undrain request bodies: ranks and a reason of at most
// flux.MaxDrainReasonLen characters fit easily.
const maxRequestBody = 4 << 10

// maxStateBody bounds a state response the client reads (one job is ~100 bytes of JSON).
const maxStateBody = 32 << 20

// DrainRequest is the body of POST /v1/drain and /v1/undrain.
type DrainRequest struct {
	// Ranks is a Flux idset, e.g. "2-3" or "0,4-5".
	Ranks string `json:"ranks"`
	// Reason is required for a drain and must be empty for an undrain.
	Reason string `json:"reason,omitempty"`
}

// errorBody is the body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
