package flux

import "fmt"

// The ways a client can read State. Both drain and undrain through the CLI.
const (
	// ReaderPython runs one flux python program per read (the default): one interpreter start
	// instead of three, about a third of the CPU on the broker's node.
	ReaderPython = "python"
	// ReaderCLI runs flux jobs, flux resource status and flux resource list, for a Flux
	// without flux python.
	ReaderCLI = "cli"
)

// CheckReader says what is wrong with a reader name ("" is the default, ReaderPython).
func CheckReader(reader string) error {
	switch reader {
	case "", ReaderPython, ReaderCLI:
		return nil
	}
	return fmt.Errorf("%q: want %s or %s", reader, ReaderPython, ReaderCLI)
}

// NewReader returns the client that reads State the way reader says, running flux through r.
func NewReader(reader string, r Runner, opts CLIOptions) (Client, error) {
	if err := CheckReader(reader); err != nil {
		return nil, err
	}
	if reader == ReaderCLI {
		return NewCLI(r, opts), nil
	}
	return NewPython(r, opts), nil
}
