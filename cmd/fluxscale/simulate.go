package main

import (
	"errors"
	"io"
)

// runSimulate is replaced by the simulate subcommand's implementation.
func runSimulate(_ []string, _, _ io.Writer) error {
	return errors.New("the simulate command is not built yet")
}
