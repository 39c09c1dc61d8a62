package e2e

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

// TestMain gives controller-runtime's global logger a sink before any test runs: its clients
// log through it, and without one it prints a warning with a stack trace. The harness logs
// each manager through its own logger, so nothing of interest goes here.
func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	os.Exit(m.Run())
}
