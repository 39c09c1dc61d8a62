// Package helm tests the Helm chart (config/helm/fluxscale) with the real tools: helm lint
// and template from bin/helm, server-side dry runs and a real helm install against the local
// control plane, the controller built from this repository run under exactly the chart's
// RBAC in both modes, and promtool (bin/promtool) on the chart's alerts. Build the tools with
// `make tools`.
package helm
