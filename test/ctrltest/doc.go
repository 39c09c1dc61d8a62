// Package ctrltest runs the fluxscale controller in-process against a real local control
// plane (test/localcluster: etcd, kube-apiserver, the Job controller, kwok nodes and pods)
// with the ScalingPolicy CRD installed and simulated Flux clusters (metrics/simulated) in
// place of Flux. It holds what the controller integration suite and the reliability suite
// share: the environment, the in-process controller manager with an injected SourceFactory,
// the mirror that makes a simulated Flux follow a Job's Running pods, and readers of
// policy status, conditions, events and Job sizes. It is test support: the helpers taking a
// *testing.T fail the test on setup errors and stop what they start with the test.
package ctrltest
