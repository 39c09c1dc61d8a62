package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v0.1.0".
var version = "dev"

func runVersion(_ []string, stdout, _ io.Writer) error {
	goVersion := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(stdout, "fluxscale %s (%s)\n", version, goVersion)
	return nil
}
