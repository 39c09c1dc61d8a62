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
	// Wait is how long Watch asks the agent to hold a request (default 30s; the agent caps
	// it at its own maximum).
	Wait time.Duration
}

// Client talks to a fluxscale agent. It is a flux.Client and a flux.Watcher.
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
	wait  time.Duration
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
	c := &Client{base: u, http: opts.HTTPClient, token: opts.Token, wait: opts.Wait}
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
	if c.token == "" {
		return fmt.Errorf("%s: no bearer token configured for the agent", what)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path, nil), bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, body.Ranks, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return responseError(fmt.Sprintf("%s %s", what, body.Ranks), resp)
	}
	return nil
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
