// Package api holds the ScalingPolicy API's integration tests: the generated CRD
// (config/crd/bases) is installed into a real kube-apiserver (envtest, with the etcd and
// kube-apiserver that `make tools` builds into bin/), every sample in config/samples must be
// accepted and defaulted, and invalid policies must be rejected with readable messages by
// the CRD's OpenAPI and CEL rules.
package api
