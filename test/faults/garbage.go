package faults

import (
	"context"
	"errors"
	"fmt"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// garbageOutput is what a broken flux prints: neither JSON nor a status table.
const garbageOutput = "\x00\xffSegmentation fault (core dumped)\n{\"jobs\": [\n"

// garbageRunner answers every command with exit 0 and garbageOutput.
type garbageRunner struct{}

func (garbageRunner) Run(context.Context, []string) (flux.Result, error) {
	return flux.Result{Stdout: []byte(garbageOutput)}, nil
}

// GarbageError returns the error the real flux CLI client gives when every flux command
// prints garbage: the error a controller reading a broken Flux really sees.
func GarbageError() error {
	_, err := flux.NewCLI(garbageRunner{}, flux.CLIOptions{}).State(context.Background())
	if err == nil {
		// The parsers accepted garbage: that is a bug the tests must see, not hide.
		return errors.New("faults: the flux CLI client accepted garbage output as state")
	}
	return fmt.Errorf("flux printed garbage: %w", err)
}
