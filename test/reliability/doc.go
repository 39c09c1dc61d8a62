// Package reliability tests that fluxscale keeps working under faults and bad input: the
// controller runs in-process against a real local control plane (test/localcluster) with a
// SourceFactory that puts test/faults wrappers around simulated Flux clusters; the tests
// break the Flux source, the API objects and the controller itself, and check the target
// never shrinks on stale data, no simulated Flux job is killed, and the controller recovers.
package reliability
