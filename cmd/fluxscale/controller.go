package main

import (
	"errors"
	"io"
)

// runController is replaced by the controller subcommand's implementation.
func runController(_ []string, _, _ io.Writer) error {
	return errors.New("the controller command is not built yet")
}
