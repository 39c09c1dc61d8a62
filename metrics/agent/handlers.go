package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// serveState answers GET /v1/state. With wait, it holds the request until the state's
// version differs from since, the success of the latest read changes, or wait passes. While
// reads fail it always waits, so a client retrying at once cannot spin.
func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since uint64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("since=%q is not a state version (a non-negative integer)", v))
			return
		}
		since = n
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("wait=%q is not a duration such as 30s", v))
			return
		}
		wait = min(d, s.opts.MaxWait)
	}
	snap, changed := s.store.get()
	if wait > 0 && (!snap.current() || snap.State.Version == since) {
		timer := s.opts.Clock.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-changed:
		case <-timer.C():
		case <-r.Context().Done():
			writeError(w, http.StatusServiceUnavailable, "request ended: the agent is shutting down or the client went away")
			return
		}
		snap, _ = s.store.get()
	}
	if !snap.current() {
		msg := "no Flux state read yet"
		if snap.Err != nil {
			msg = "reading Flux state: " + snap.Err.Error()
		}
		writeError(w, http.StatusServiceUnavailable, msg)
		return
	}
	writeJSON(w, http.StatusOK, snap.State)
}

func (s *Server) serveDrain(w http.ResponseWriter, r *http.Request) {
	ranks, req, ok := s.drainRequest(w, r)
	if !ok {
		return
	}
	if err := flux.ValidateDrainReason(req.Reason); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.opts.Source.Drain(r.Context(), ranks, req.Reason); err != nil {
		s.opts.Log.Error(err, "draining", "ranks", ranks.String(), "reason", req.Reason)
		writeError(w, http.StatusBadGateway, fmt.Sprintf("draining ranks %s: %v", ranks, err))
		return
	}
	s.opts.Log.Info("drained", "ranks", ranks.String(), "reason", req.Reason)
	s.readSoon()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveUndrain(w http.ResponseWriter, r *http.Request) {
	ranks, req, ok := s.drainRequest(w, r)
	if !ok {
		return
	}
	if req.Reason != "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("reason %q given to undrain: undrain takes only ranks", req.Reason))
		return
	}
	if err := s.opts.Source.Undrain(r.Context(), ranks); err != nil {
		s.opts.Log.Error(err, "undraining", "ranks", ranks.String())
		writeError(w, http.StatusBadGateway, fmt.Sprintf("undraining ranks %s: %v", ranks, err))
		return
	}
	s.opts.Log.Info("undrained", "ranks", ranks.String())
	s.readSoon()
	w.WriteHeader(http.StatusNoContent)
}

// drainRequest authorizes the request and reads its body; when it fails it has written the
// error response and ok is false.
func (s *Server) drainRequest(w http.ResponseWriter, r *http.Request) (ranks flux.RankSet, req DrainRequest, ok bool) {
	if status, msg := s.authorize(r); status != http.StatusOK {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fluxscale-agent"`)
		}
		writeError(w, status, msg)
		return nil, req, false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxRequestBody))
			return nil, req, false
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`request body is not {"ranks": "...", "reason": "..."}: %v`, err))
		return nil, req, false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "request body holds more than one JSON value")
		return nil, req, false
	}
	ranks, err := flux.ParseRankSet(req.Ranks)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ranks: %v", err))
		return nil, req, false
	}
	if len(ranks) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ranks %q names no rank: give an idset such as \"2-3\"", req.Ranks))
		return nil, req, false
	}
	return ranks, req, true
}
