package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// ClientOptions configures a Client.
type ClientOptions struct {
	// HTTPClient sends the requests; default a client without an overall timeout, since a
	// long-poll legitimately lasts Wait. Deadlines come from the caller's context.
	HTTPClient *http.Client
	// Token is the bearer token for drain and undrain; without it they fail.
	Token string
	// RefreshToken, when set, reads the token again (from its Secret). The client calls it
	// when the agent refuses the token (401 or 403, e.g. after a rotation) or has none, and
	// retries once with a token that differs from the one refused.
	RefreshToken func(ctx context.Context) (string, error)
	// Wait is how long Watch asks the agent to hold a request (default 30s; the agent caps
	// it at its own maximum).
	Wait time.Duration
}

// Client talks to a fluxscale agent. It is a flux.Client and a flux.Watcher.
type Client struct {
	base    *url.URL
	http    *http.Client
	wait    time.Duration
	refresh func(ctx context.Context) (string, error)

	mu    sync.Mutex
	token string
}

var (
	_ flux.Client  = (*Client)(nil)
	_ flux.Watcher = (*Client)(nil)
)

// NewClient returns a client of the agent at baseURL, e.g. http://flux-sample-0.flux-service.ns.svc:8181.
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("agent URL %q is not an http(s)://host[:port] URL", baseURL)
	}
	c := &Client{base: u, http: opts.HTTPClient, token: opts.Token, wait: opts.Wait, refresh: opts.RefreshToken}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.wait <= 0 {
		c.wait = 30 * time.Second
	}
	return c, nil
}

// State returns the agent's current state; an agent that cannot read Flux is an error.
func (c *Client) State(ctx context.Context) (flux.State, error) {
	return c.getState(ctx, nil)
}

// Watch returns when the agent's state version differs from since, or after the wait bound
// with the state the agent then has.
func (c *Client) Watch(ctx context.Context, since uint64) (flux.State, error) {
	return c.getState(ctx, url.Values{"since": {strconv.FormatUint(since, 10)}, "wait": {c.wait.String()}})
}

func (c *Client) getState(ctx context.Context, query url.Values) (flux.State, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(PathState, query), nil)
	if err != nil {
		return flux.State{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return flux.State{}, fmt.Errorf("agent state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return flux.State{}, responseError("agent state", resp)
	}
	var st flux.State
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxStateBody)).Decode(&st); err != nil {
		return flux.State{}, fmt.Errorf("agent state: decoding the response: %w", err)
	}
	return st, nil
}

// WatchesSnapshots reports that Watch returns whole states: the agent answers a watch with
// the snapshot a State call would get at that moment.
func (c *Client) WatchesSnapshots() bool { return true }

// Drain asks the agent to drain ranks.
func (c *Client) Drain(ctx context.Context, ranks flux.RankSet, reason string) error {
	if err := flux.ValidateDrainReason(reason); err != nil {
		return err
	}
	return c.post(ctx, PathDrain, ranks, DrainRequest{Ranks: ranks.String(), Reason: reason})
}

// Undrain asks the agent to undrain ranks.
func (c *Client) Undrain(ctx context.Context, ranks flux.RankSet) error {
	return c.post(ctx, PathUndrain, ranks, DrainRequest{Ranks: ranks.String()})
}

func (c *Client) post(ctx context.Context, path string, ranks flux.RankSet, body DrainRequest) error {
	what := "agent " + strings.TrimPrefix(path, "/v1/")
	if len(ranks) == 0 {
		return fmt.Errorf("%s: no ranks given", what)
	}
	if err := ranks.Validate(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	token := c.currentToken()
	if token == "" {
		if token = c.refreshed(ctx, token); token == "" {
			return fmt.Errorf("%s: no bearer token configured for the agent", what)
		}
	}
	op := fmt.Sprintf("%s %s", what, body.Ranks)
	err = c.send(ctx, path, op, payload, token)
	var refused *refusedToken
	if errors.As(err, &refused) {
		if fresh := c.refreshed(ctx, token); fresh != "" {
			err = c.send(ctx, path, op, payload, fresh)
		}
	}
	return err
}

// refusedToken is an agent's 401 or 403: the token is wrong, perhaps rotated.
type refusedToken struct{ err error }

func (e *refusedToken) Error() string { return e.err.Error() }
func (e *refusedToken) Unwrap() error { return e.err }

// send posts payload with token; op names the request in errors.
func (c *Client) send(ctx context.Context, path, op string, payload []byte, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path, nil), bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = responseError(op, resp)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return &refusedToken{err}
	}
	return err
}

func (c *Client) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// refreshed reads the token again and keeps it; it returns "" when there is no way to, the
// read failed, or the token is still the one refused.
func (c *Client) refreshed(ctx context.Context, refused string) string {
	if c.refresh == nil {
		return ""
	}
	fresh, err := c.refresh(ctx)
	if err != nil || fresh == "" || fresh == refused {
		return ""
	}
	c.mu.Lock()
	c.token = fresh
	c.mu.Unlock()
	return fresh
}

func (c *Client) endpoint(path string, query url.Values) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	return u.String()
}

// StatusError is a non-success answer from the agent.
type StatusError struct {
	// Op is what was asked, e.g. "agent drain 2-3".
	Op string
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the agent's error message.
	Message string
}

// Error names the request, the HTTP status and the agent's message.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %d %s: %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// responseError reads an error response's message.
func responseError(op string, resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	var body errorBody
	msg := strings.TrimSpace(string(raw))
	if err := json.Unmarshal(raw, &body); err == nil && body.Error != "" {
		msg = body.Error
	}
	if msg == "" {
		msg = "no message"
	}
	return &StatusError{Op: op, StatusCode: resp.StatusCode, Message: msg}
}

// IsUnavailable reports whether err is the agent saying it has no current Flux state.
func IsUnavailable(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusServiceUnavailable
}
