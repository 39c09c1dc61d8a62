// Package e2e runs the whole fluxscale loop end to end (test/harness): a real control plane
// with the Job controller and kwok nodes, the ScalingPolicy CRD from config/, the test
// MiniCluster CRD with a STAND-IN for the Flux Operator (test/minicluster), the controller
// in-process with its hint API checking callers through real TokenReviews and
// SubjectAccessReviews, and simulated Flux clusters read through the real agent HTTP API and
// its long-poll. Flux job run times are virtual: a test ends a job by jumping the virtual
// clock, so no assertion depends on how fast the machine is; waits are bounded polls with
// generous limits. Run them with `make test` (which builds bin/ first) or
// `go test ./test/e2e/` once `make tools` has run.
package e2e
