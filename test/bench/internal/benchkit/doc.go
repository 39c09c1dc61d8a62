// Package benchkit holds what the fluxscale benchmark programs under test/bench share: a
// local control plane with the ScalingPolicy CRD, the controller run in-process with a
// counting and throttle-measuring client, the machine's description and load, and
// percentile tables. It is test code: nothing in the product imports it.
package benchkit
