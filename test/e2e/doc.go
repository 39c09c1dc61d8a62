// Package e2e runs the whole fluxscale loop end to end (test/harness): a real control plane
// with the Job controller and kwok nodes, the ScalingPolicy CRD from config/, and the
// controller in-process with its hint API checking callers through real TokenReviews and
// SubjectAccessReviews.
//
// MiniClusters run on the real Flux Operator with one real flux broker per Running pod
// (test/fluxoperator): the seed story reads Flux through pods/exec into rank 0 (the Exec
// source), the queue test through the fluxscale agent started in rank 0's pod. Flux's own
// view (flux resource status, job results and eventlogs) is the judge; jobs end when a test
// releases them, never after a sleep.
//
// The bare Indexed Job's test has no operator: it runs a simulated Flux cluster read through
// the real agent HTTP API, on a virtual clock.
//
// Waits are bounded polls with generous limits. Run them with `make test` (which builds bin/
// first) or `go test ./test/e2e/` once `make tools` has run; the real-operator tests need root
// for kwok's mount namespace.
package e2e
