package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/autoscaler/hints"
)

// Where a pod finds its namespace and tokens, and where the hint server is by default.
const (
	namespaceFile      = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
	projectedTokenFile = "/var/run/secrets/fluxscale/token"
	defaultTokenFile   = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	hintURLEnv         = "FLUXSCALE_HINT_URL"
	defaultHintURL     = "https://fluxscale-hints.fluxscale-system.svc:8443"
)

// hintEnv is where runHint finds its defaults; tests point it at temporary files.
type hintEnv struct {
	namespaceFile, projectedToken, defaultToken string
	getenv                                      func(string) string
}

// hintFlags are the parsed command line.
type hintFlags struct {
	policy, namespace, server, tokenFile, caFile, reason string
	size, delta                                          int
	ttl, timeout                                         time.Duration
	list, remove                                         bool
	set                                                  map[string]bool
}

func runHint(args []string, stdout, stderr io.Writer) error {
	env := hintEnv{namespaceFile: namespaceFile, projectedToken: projectedTokenFile, defaultToken: defaultTokenFile, getenv: os.Getenv}
	return hintWith(args, stdout, stderr, env)
}

func hintWith(args []string, stdout, stderr io.Writer, env hintEnv) error {
	f, err := parseHintFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if f.namespace == "" {
		b, err := os.ReadFile(env.namespaceFile)
		if err != nil {
			return fmt.Errorf("%w: no --namespace and no pod namespace file (%v): pass --namespace", errUsage, err)
		}
		f.namespace = strings.TrimSpace(string(b))
	}
	if f.server == "" {
		f.server = env.getenv(hintURLEnv)
	}
	if f.server == "" {
		f.server = defaultHintURL
	}
	token, err := readToken(f, env)
	if err != nil {
		return err
	}
	httpClient, err := newHintHTTPClient(f.caFile, f.timeout)
	if err != nil {
		return err
	}
	c := &hints.Client{BaseURL: f.server, Token: token, HTTP: httpClient}
	pol := types.NamespacedName{Namespace: f.namespace, Name: f.policy}
	ctx := context.Background()
	switch {
	case f.list:
		hs, err := c.List(ctx, pol)
		if err != nil {
			return err
		}
		return printHints(stdout, hs)
	case f.remove:
		if err := c.Delete(ctx, pol); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted your hint on %s\n", pol)
		return nil
	}
	req := hints.HintRequest{Reason: f.reason}
	if f.set["size"] {
		req.Size = ptr.To(int32(f.size))
	} else {
		req.Delta = ptr.To(int32(f.delta))
	}
	if f.set["ttl"] {
		req.TTLSeconds = ptr.To(int32(f.ttl / time.Second))
	}
	resp, err := c.Post(ctx, pol, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hint %s accepted on %s: size %d (%s) until %s\n", resp.ID, pol, resp.Size, resp.Mode, resp.ExpiresAt.Format(time.RFC3339))
	if resp.Message != "" {
		fmt.Fprintln(stdout, "note:", resp.Message)
	}
	return nil
}

// readToken reads --token-file, else the projected token, else the pod's default service
// account token, but that one only over https: it is good for the API server, and must not
// cross the network in clear text (a projected token with audience fluxscale is not).
func readToken(f hintFlags, env hintEnv) (string, error) {
	path := f.tokenFile
	if path == "" {
		path = env.projectedToken
		if _, err := os.Stat(path); err != nil {
			if !strings.HasPrefix(f.server, "https://") {
				return "", fmt.Errorf("no token at %s, and the pod's default service account token is only sent over https "+
					"(server %s): mount a projected service account token with audience fluxscale at %s, or pass --token-file",
					env.projectedToken, f.server, env.projectedToken)
			}
			path = env.defaultToken
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("the token file %s is empty", path)
	}
	return token, nil
}

// newHintHTTPClient trusts caFile's CAs (when set) on top of the system's.
func newHintHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	c := &http.Client{Timeout: timeout}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading --ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Transport = tr
	return c, nil
}

func printHints(w io.Writer, hs []hints.HintView) error {
	if len(hs) == 0 {
		fmt.Fprintln(w, "no active hints")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tSIZE\tMODE\tEXPIRES\tREASON")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", h.Subject, h.Size, h.Mode, h.ExpiresAt.Format(time.RFC3339), h.Reason)
	}
	return tw.Flush()
}

func parseHintFlags(args []string, stderr io.Writer) (hintFlags, error) {
	var f hintFlags
	fs := flag.NewFlagSet("hint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fluxscale hint --policy NAME (--size N | --delta N) [--ttl 10m] [--reason TEXT]\n"+
			"       fluxscale hint --policy NAME --list | --delete\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.policy, "policy", "", "ScalingPolicy `name` (required)")
	fs.StringVar(&f.namespace, "namespace", "", "policy namespace (default: the pod's namespace)")
	fs.IntVar(&f.size, "size", 0, "ask for this many nodes")
	fs.IntVar(&f.delta, "delta", 0, "ask for the desired size plus (or minus) this many nodes")
	fs.DurationVar(&f.ttl, "ttl", 0, "how long the hint lasts, whole seconds (default: the policy's hints.maxTTLSeconds)")
	fs.StringVar(&f.reason, "reason", "", "why, shown in status and events (printable, at most 256 bytes)")
	fs.StringVar(&f.server, "server", "", "hint server URL (default: $"+hintURLEnv+" or "+defaultHintURL+")")
	fs.StringVar(&f.tokenFile, "token-file", "", "bearer token `path` (default: "+projectedTokenFile+", then the pod's service account token over https only)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM CA bundle `path` to verify an https hint server")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "request timeout")
	fs.BoolVar(&f.list, "list", false, "list the policy's active hints")
	fs.BoolVar(&f.remove, "delete", false, "delete your hint")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, fmt.Errorf("%w: %v", errUsage, err)
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f, checkHintFlags(f, fs.Args())
}

func checkHintFlags(f hintFlags, rest []string) error {
	actions := 0
	for _, name := range []string{"size", "delta", "list", "delete"} {
		if f.set[name] {
			actions++
		}
	}
	switch {
	case len(rest) > 0:
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, rest)
	case f.policy == "":
		return fmt.Errorf("%w: --policy is required", errUsage)
	case actions != 1:
		return fmt.Errorf("%w: give exactly one of --size, --delta, --list and --delete", errUsage)
	case f.set["size"] && (f.size < 1 || f.size > math.MaxInt32):
		return fmt.Errorf("%w: --size %d must be at least 1", errUsage, f.size)
	case f.set["delta"] && (f.delta < math.MinInt32 || f.delta > math.MaxInt32):
		return fmt.Errorf("%w: --delta %d is out of range", errUsage, f.delta)
	case f.set["ttl"] && (f.ttl < time.Second || f.ttl%time.Second != 0 || f.ttl > math.MaxInt32*time.Second):
		return fmt.Errorf("%w: --ttl %s must be a whole number of seconds, at least 1s", errUsage, f.ttl)
	case (f.list || f.remove) && (f.set["ttl"] || f.set["reason"]):
		return fmt.Errorf("%w: --ttl and --reason go with --size or --delta", errUsage)
	}
	return nil
}
