package flux

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"k8s.io/utils/clock"
)

// CLIOptions configures a CLI client.
type CLIOptions struct {
	// Command is the argv prefix that runs flux; default ["flux"]. In a Flux Operator pod
	// reached through pods/exec the flux view is not on PATH and FLUX_URI is not set: run
	// through a MiniClusterRunner.
	Command []string
	// Clock stamps ObservedAt; default the real clock.
	Clock clock.PassiveClock
}

// CLI is a Client that runs the flux command line tools through a Runner. Each State runs
// three commands at once (flux jobs, flux resource status, flux resource list): one round
// trip of latency, three execs of cost. Before its first State, Drain or Undrain it runs
// `flux version` and fails on a flux-core older than MinVersion (see CheckVersion); after
// a check succeeds it is not repeated.
type CLI struct {
	runner  Runner
	command []string
	clock   clock.PassiveClock

	versionMu sync.Mutex
	versionOK bool
}

var _ Client = (*CLI)(nil)

// NewCLI returns a client that runs flux through r.
func NewCLI(r Runner, opts CLIOptions) *CLI {
	c := &CLI{runner: r, command: slices.Clone(opts.Command), clock: opts.Clock}
	if len(c.command) == 0 {
		c.command = []string{"flux"}
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	return c
}

// State reads Flux's queue and resources. It fails, naming the command and the offending
// line, when a command fails or prints something it does not understand.
func (c *CLI) State(ctx context.Context) (State, error) {
	if err := c.ensureVersion(ctx); err != nil {
		return State{}, err
	}
	reads := c.StateCommands()
	outs := make([][]byte, len(reads))
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, argv := range reads {
		wg.Go(func() { outs[i], errs[i] = c.output(ctx, argv) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return State{}, err
		}
	}
	jobs, err := parseJobs(outs[0])
	if err != nil {
		return State{}, fmt.Errorf("reading %s: %w", quoteArgv(reads[0]), err)
	}
	status, err := parseResourceStatus(outs[1])
	if err != nil {
		return State{}, fmt.Errorf("reading %s: %w", quoteArgv(reads[1]), err)
	}
	list, err := parseResourceList(outs[2], listColumns())
	if err != nil {
		return State{}, fmt.Errorf("reading %s: %w", quoteArgv(reads[2]), err)
	}
	return assembleState(c.clock.Now(), jobs, status, list)
}

// StateCommands returns the commands State runs, in the order it reads them: flux jobs,
// flux resource status, flux resource list (after the client's one flux version check,
// VersionCommand).
func (c *CLI) StateCommands() [][]string {
	return [][]string{c.argv(jobsArgs()), c.argv(statusArgs()), c.argv(listArgs())}
}

// VersionCommand returns the command the client's version check runs.
func (c *CLI) VersionCommand() []string { return c.argv(versionArgs()) }

// argv prefixes a flux subcommand with the configured flux command.
func (c *CLI) argv(args []string) []string { return slices.Concat(c.command, args) }

// output runs argv and returns its stdout, or an error if it could not run or exited
// non-zero.
func (c *CLI) output(ctx context.Context, argv []string) ([]byte, error) {
	res, err := c.runner.Run(ctx, argv)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, newCommandError(argv, res)
	}
	return res.Stdout, nil
}
