package api

import (
	"testing"
	"time"
)

// One API server serves every subtest: starting it costs far more than any subtest.
func TestScalingPolicyAPI(t *testing.T) {
	start := time.Now()
	cfg, c := startAPIServer(t)
	t.Logf("API server with CRD ready in %v", time.Since(start).Round(time.Millisecond))

	t.Run("SamplesAccepted", func(t *testing.T) { testSamples(t, c) })
	t.Run("InvalidRejected", func(t *testing.T) { testInvalid(t, c) })
	t.Run("ValidEdgesAccepted", func(t *testing.T) { testValidEdges(t, c) })
	t.Run("TypedClientDefaults", func(t *testing.T) { testTypedDefaults(t, c) })
	t.Run("CRDNamesAndColumns", func(t *testing.T) { testNamesAndColumns(t, cfg, c) })
}
