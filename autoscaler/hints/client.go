package hints

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// Client calls the hint API (what `fluxscale hint` and in-pod programs use).
type Client struct {
	// BaseURL is the server, e.g. https://fluxscale-hints.fluxscale-system.svc:8443.
	BaseURL string
	// Token is sent as the bearer token: a service account token with the server's audience.
	Token string
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client
}

// StatusError is a non-2xx answer: the status code and the server's error text.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("hint server answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Message)
}

// Post posts the caller's hint for a policy.
func (c *Client) Post(ctx context.Context, pol types.NamespacedName, req HintRequest) (PostResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return PostResponse{}, fmt.Errorf("encoding the hint: %w", err)
	}
	var out PostResponse
	return out, c.do(ctx, http.MethodPost, pol, body, &out)
}

// List returns the policy's active hints.
func (c *Client) List(ctx context.Context, pol types.NamespacedName) ([]HintView, error) {
	var out ListResponse
	err := c.do(ctx, http.MethodGet, pol, nil, &out)
	return out.Hints, err
}

// Delete removes the caller's hint for a policy.
func (c *Client) Delete(ctx context.Context, pol types.NamespacedName) error {
	return c.do(ctx, http.MethodDelete, pol, nil, nil)
}

func (c *Client) do(ctx context.Context, method string, pol types.NamespacedName, body []byte, out any) error {
	u := strings.TrimSuffix(c.BaseURL, "/") + "/v1/namespaces/" + url.PathEscape(pol.Namespace) +
		"/scalingpolicies/" + url.PathEscape(pol.Name) + "/hints"
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the hint request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sending the hint request: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the hint server's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e errorBody
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &StatusError{Code: resp.StatusCode, Message: e.Error}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the hint server's answer: %w", err)
	}
	return nil
}
