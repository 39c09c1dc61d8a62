package main

import (
	"errors"
	"io"
)

// runHint is replaced by the hint subcommand's implementation.
func runHint(_ []string, _, _ io.Writer) error {
	return errors.New("the hint command is not built yet")
}
