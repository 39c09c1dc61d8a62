// Command fluxscale is the autoscaler for Flux MiniClusters: one binary whose subcommands are
// the controller, the in-pod agent, the hint client, the trace simulator and version.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// errUsage marks a command-line mistake: main prints usage and exits 2 instead of 1.
var errUsage = errors.New("usage")

// command is one subcommand: run gets the arguments after the subcommand's name.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"controller": {"run the autoscaling controller (in the cluster)", runController},
		"agent":      {"serve Flux state and drains from beside the lead broker", runAgent},
		"hint":       {"ask for capacity: post, list or delete a scale hint", runHint},
		"simulate":   {"replay a workload trace through a ScalingPolicy and baselines", runSimulate},
		"version":    {"print the version", runVersion},
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fluxscale:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: fluxscale <command> [flags]\n\ncommands:")
	for _, name := range names {
		fmt.Fprintf(w, "  %-11s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'fluxscale <command> -h' for a command's flags.")
}
