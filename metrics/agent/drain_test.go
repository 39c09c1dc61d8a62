package agent

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// post sends a POST with an optional Authorization header and returns status, the
// WWW-Authenticate header and the body.
func (a *testAgent) post(t testing.TB, path, authorization, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

func TestDrainAuth(t *testing.T) {
	const body = `{"ranks": "2-3", "reason": "fluxscale: scale-down"}`
	tests := []struct {
		name          string
		authorization string
		wantCode      int
		wantInBody    string
	}{
		{name: "no header", authorization: "", wantCode: http.StatusUnauthorized, wantInBody: "missing Authorization header"},
		{name: "basic scheme", authorization: "Basic czNjcmV0", wantCode: http.StatusUnauthorized, wantInBody: "malformed Authorization header"},
		{name: "bearer without token", authorization: "Bearer", wantCode: http.StatusUnauthorized, wantInBody: "malformed"},
		{name: "token with a space", authorization: "Bearer s3cret token", wantCode: http.StatusUnauthorized, wantInBody: "malformed"},
		{name: "wrong token", authorization: "Bearer s3cret-tokeN", wantCode: http.StatusForbidden, wantInBody: "wrong bearer token"},
		{name: "prefix of the token", authorization: "Bearer s3cret", wantCode: http.StatusForbidden, wantInBody: "wrong bearer token"},
		{name: "right token", authorization: "Bearer s3cret-token", wantCode: http.StatusNoContent},
		{name: "scheme is case-insensitive", authorization: "bearer s3cret-token", wantCode: http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAgent(t)
			code, challenge, got := a.post(t, PathDrain, tt.authorization, body)
			if code != tt.wantCode || !strings.Contains(got, tt.wantInBody) {
				t.Fatalf("POST %s: %d %q, want %d containing %q", PathDrain, code, got, tt.wantCode, tt.wantInBody)
			}
			if (code == http.StatusUnauthorized) != (challenge != "") {
				t.Errorf("status %d with WWW-Authenticate %q", code, challenge)
			}
			_, drains, _ := a.source.calls()
			var want []drainCall
			if code == http.StatusNoContent {
				want = []drainCall{{Ranks: flux.RankSet{2, 3}, Reason: "fluxscale: scale-down"}}
			}
			if diff := cmp.Diff(want, drains); diff != "" {
				t.Errorf("drains reaching Flux (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenFileIsReread(t *testing.T) {
	a := newTestAgent(t)
	if err := os.WriteFile(a.tokenFile, []byte("rotated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, body := a.post(t, PathUndrain, "Bearer "+a.token, `{"ranks": "3"}`); code != http.StatusForbidden {
		t.Errorf("old token after rotation: %d %s, want 403", code, body)
	}
	if code, _, body := a.post(t, PathUndrain, "Bearer rotated", `{"ranks": "3"}`); code != http.StatusNoContent {
		t.Errorf("new token after rotation: %d %s, want 204", code, body)
	}
	if err := os.WriteFile(a.tokenFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, body := a.post(t, PathUndrain, "Bearer rotated", `{"ranks": "3"}`); code != http.StatusInternalServerError {
		t.Errorf("empty token file: %d %s, want 500 (no token accepted)", code, body)
	}
}

func TestDrainDisabledWithoutTokenFile(t *testing.T) {
	a := newTestAgent(t)
	a.server.opts.TokenFile = ""
	if code, _, body := a.post(t, PathDrain, "Bearer "+a.token, `{"ranks": "3", "reason": "x"}`); code != http.StatusForbidden || !strings.Contains(body, "--token-file") {
		t.Errorf("drain without a token file: %d %s, want 403 naming --token-file", code, body)
	}
}

func TestDrainRequestValidation(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		body       string
		wantCode   int
		wantInBody string
	}{
		{name: "bad ranks", path: PathDrain, body: `{"ranks": "2-x", "reason": "r"}`, wantCode: http.StatusBadRequest, wantInBody: `\"x\" is not a rank`},
		{name: "no ranks", path: PathDrain, body: `{"ranks": "", "reason": "r"}`, wantCode: http.StatusBadRequest, wantInBody: `ranks \"\" names no rank`},
		{name: "empty reason", path: PathDrain, body: `{"ranks": "3"}`, wantCode: http.StatusBadRequest, wantInBody: "drain reason is empty"},
		{name: "multi-line reason", path: PathDrain, body: `{"ranks": "3", "reason": "a\nb"}`, wantCode: http.StatusBadRequest, wantInBody: "unprintable character U+000A"},
		{name: "option-like reason", path: PathDrain, body: `{"ranks": "3", "reason": "--force"}`, wantCode: http.StatusBadRequest, wantInBody: "starts with '-'"},
		{name: "unknown field", path: PathDrain, body: `{"ranks": "3", "reason": "r", "force": true}`, wantCode: http.StatusBadRequest, wantInBody: `unknown field \"force\"`},
		{name: "not JSON", path: PathDrain, body: `ranks=3`, wantCode: http.StatusBadRequest, wantInBody: "request body is not"},
		{name: "two values", path: PathDrain, body: `{"ranks": "3", "reason": "r"} {}`, wantCode: http.StatusBadRequest, wantInBody: "more than one JSON value"},
		{name: "body too large", path: PathDrain, body: `{"ranks": "3", "reason": "` + strings.Repeat("a", 5000) + `"}`, wantCode: http.StatusRequestEntityTooLarge, wantInBody: "larger than 4096 bytes"},
		{name: "undrain with a reason", path: PathUndrain, body: `{"ranks": "3", "reason": "r"}`, wantCode: http.StatusBadRequest, wantInBody: "undrain takes only ranks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAgent(t)
			code, _, body := a.post(t, tt.path, "Bearer "+a.token, tt.body)
			if code != tt.wantCode || !strings.Contains(body, tt.wantInBody) {
				t.Fatalf("POST %s %.60s: %d %s, want %d containing %s", tt.path, tt.body, code, body, tt.wantCode, tt.wantInBody)
			}
			if _, drains, undrains := a.source.calls(); len(drains)+len(undrains) != 0 {
				t.Errorf("a rejected request reached Flux: drains %v undrains %v", drains, undrains)
			}
		})
	}
}

func TestDrainFailureIsBadGateway(t *testing.T) {
	a := newTestAgent(t)
	a.source.nextDrainErr = errors.New("flux resource drain -u 9 x exited 1: flux-resource: ERROR: [Errno 22] idset is out of range")
	code, _, body := a.post(t, PathDrain, "Bearer "+a.token, `{"ranks": "9", "reason": "x"}`)
	if code != http.StatusBadGateway || !strings.Contains(body, "draining ranks 9: flux resource drain") {
		t.Errorf("failed drain: %d %s, want 502 with Flux's error", code, body)
	}
}

// TestDrainTriggersRead checks the poll loop reads Flux again right after a drain, so the
// next long-poll sees the draining ranks without waiting for the next tick.
func TestDrainTriggersRead(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	ctx := t.Context()
	go a.server.Run(ctx)
	a.waitForVersion(t, a.version(1)) // the poll loop's first read
	a.waitForWaiters(t, 1)            // its ticker
	before, _, _ := a.source.calls()
	done := a.longPoll(t, a.since(1, "30s"))
	a.waitForWaiters(t, 2)

	drained := sampleState(a.clock.Now())
	drained.Ranks[1].Drain = flux.DrainDraining
	a.source.set(drained, nil)
	if code, _, body := a.post(t, PathDrain, "Bearer "+a.token, `{"ranks": "1", "reason": "x"}`); code != http.StatusNoContent {
		t.Fatalf("drain: %d %s", code, body)
	}
	// No clock step: only the drain's request for a read can wake the long-poll.
	if got := (<-done).state(t); got.Version != a.version(2) || got.Ranks[1].Drain != flux.DrainDraining {
		t.Errorf("after the drain: version %d, rank 1 drain %q; want version %d, draining", got.Version, got.Ranks[1].Drain, a.version(2))
	}
	if after, _, _ := a.source.calls(); after != before+1 {
		t.Errorf("%d reads after the drain, want 1", after-before)
	}
}
