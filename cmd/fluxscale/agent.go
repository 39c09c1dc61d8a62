package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/go-logr/logr"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// agentConfig is the agent's command line.
type agentConfig struct {
	listen      string
	interval    time.Duration
	readTimeout time.Duration
	maxWait     time.Duration
	tokenFile   string
	fluxPath    string
	mountPath   string
	reader      string
	watch       string
	resync      time.Duration
}

// How the agent learns that Flux changed (--watch).
const (
	watchJournal = "journal"
	watchPoll    = "poll"
)

func runAgent(args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxscale agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: fluxscale agent [flags]

Runs beside the Flux lead broker (a MiniCluster sidecar) and serves Flux state to the
fluxscale controller: GET /v1/state (long-poll with ?since=VERSION&wait=30s), GET /metrics,
POST /v1/drain and /v1/undrain (bearer token), GET /healthz. It runs flux, which must
reach the broker. In a Flux Operator MiniCluster pod give --mount-path (the MiniCluster's
spec.flux.container.mountPath, /mnt/flux by default): the agent then sources
<mount-path>/flux-view.sh and finds the broker socket as the operator put it, for any
operator version. Elsewhere it uses --flux and FLUX_URI as they are.

flags:
`)
		fs.PrintDefaults()
	}
	var cfg agentConfig
	fs.StringVar(&cfg.listen, "listen", ":"+strconv.Itoa(agent.DefaultPort), "address to serve on")
	fs.StringVar(&cfg.watch, "watch", watchJournal, "how to learn of changes: journal (follow Flux's job and resource journals with one long-lived flux python program and read state only when they change; polls at --interval where the journals cannot be followed) or poll (read every --interval)")
	fs.DurationVar(&cfg.resync, "resync", time.Minute, "with --watch=journal, read state at least this often even without a change")
	fs.DurationVar(&cfg.interval, "interval", time.Second, "how often to read Flux state when polling")
	fs.DurationVar(&cfg.readTimeout, "read-timeout", 10*time.Second, "bound on one read of Flux state")
	fs.DurationVar(&cfg.maxWait, "max-wait", agent.DefaultMaxWait, "longest a long-poll may wait")
	fs.StringVar(&cfg.tokenFile, "token-file", "", "file holding the bearer token drain and undrain require (a mounted Secret; reread on every request); without it they are refused")
	fs.StringVar(&cfg.fluxPath, "flux", "flux", "the flux command (looked up in PATH); not used with --mount-path")
	fs.StringVar(&cfg.mountPath, "mount-path", "", "the MiniCluster's flux view mount path (e.g. /mnt/flux): run flux as the operator's entrypoint does")
	fs.StringVar(&cfg.reader, "reader", flux.ReaderPython, "how to read Flux state: python (one flux python program per read) or cli (three flux commands per read)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}

	log := logr.FromSlogHandler(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.listen, err)
	}
	return serveAgent(ctx, cfg, ln, log)
}

func (c agentConfig) validate() error {
	for name, d := range map[string]time.Duration{"--interval": c.interval, "--read-timeout": c.readTimeout, "--max-wait": c.maxWait, "--resync": c.resync} {
		if d <= 0 {
			return fmt.Errorf("%s %v must be positive", name, d)
		}
	}
	if c.fluxPath == "" {
		return errors.New("--flux must name the flux command")
	}
	if err := flux.CheckReader(c.reader); err != nil {
		return fmt.Errorf("--reader %w", err)
	}
	if c.watch != watchJournal && c.watch != watchPoll {
		return fmt.Errorf("--watch %q: want %s or %s", c.watch, watchJournal, watchPoll)
	}
	if c.tokenFile != "" {
		if _, err := os.Stat(c.tokenFile); err != nil {
			return fmt.Errorf("--token-file: %w", err)
		}
	}
	return nil
}

// source is the Flux client the flags ask for, and a function that stops what it runs.
func (c agentConfig) source() (flux.Client, func()) {
	var runner flux.Runner = flux.LocalRunner{}
	var streamer flux.StreamRunner = flux.LocalStreamRunner{}
	opts := flux.CLIOptions{Command: []string{c.fluxPath}}
	if c.mountPath != "" {
		where := "the agent's container"
		runner = flux.MiniClusterRunner{Pod: runner, MountPath: c.mountPath, Where: where}
		streamer = flux.MiniClusterStreamRunner{Pod: streamer, MountPath: c.mountPath, Where: where}
		opts.Command = nil
	}
	client, _ := flux.NewReader(c.reader, runner, opts) // validate checked the name
	if c.watch == watchPoll {
		return client, func() {}
	}
	// The watcher program reads the state itself on its handle: no flux python per change.
	w := flux.NewJournalWatcher(client, streamer, flux.JournalOptions{Command: opts.Command, Resync: c.resync, Reads: flux.JournalReadsProgram})
	return w, w.Close
}

// serveAgent reads Flux through the flux CLI and serves the agent API on ln until ctx ends.
func serveAgent(ctx context.Context, cfg agentConfig, ln net.Listener, log logr.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	source, closeSource := cfg.source()
	defer closeSource()
	srv, err := agent.NewServer(agent.Options{
		Source:      source,
		Interval:    cfg.interval,
		ReadTimeout: cfg.readTimeout,
		MaxWait:     cfg.maxWait,
		TokenFile:   cfg.tokenFile,
		Log:         log,
	})
	if err != nil {
		return err
	}
	if cfg.tokenFile == "" {
		log.Info("drain and undrain are disabled: no --token-file")
	}
	runDone := make(chan struct{})
	go func() { srv.Run(ctx); close(runDone) }()

	httpServer := &http.Server{
		Handler: srv.Handler(),
		// Requests end with ctx, so parked long-polls answer at once on shutdown.
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ReadHeaderTimeout: 10 * time.Second,
		// A long-poll holds its response for up to max-wait.
		WriteTimeout: cfg.maxWait + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()
	log.Info("serving", "address", ln.Addr().String(), "flux", cfg.fluxPath, "mountPath", cfg.mountPath,
		"reader", cfg.reader, "watch", cfg.watch, "resync", cfg.resync.String(), "interval", cfg.interval.String())

	select {
	case err := <-serveErr:
		cancel()
		<-runDone
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	err = httpServer.Shutdown(shutdownCtx)
	<-runDone
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
