package main

import (
	"errors"
	"io"
)

// runAgent is replaced by the agent subcommand's implementation.
func runAgent(_ []string, _, _ io.Writer) error {
	return errors.New("the agent command is not built yet")
}
