{{/* The name objects of this release share; the release name unless told otherwise. */}}
{{- define "fluxscale.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fluxscale.labels" -}}
app.kubernetes.io/name: fluxscale
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "fluxscale.selectorLabels" -}}
app.kubernetes.io/name: fluxscale
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "fluxscale.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-controller" (include "fluxscale.fullname" .)) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The hint API's TLS Secret: the one given, or the one cert-manager writes. */}}
{{- define "fluxscale.hintsSecret" -}}
{{- if .Values.hints.tls.secretName -}}
{{- .Values.hints.tls.secretName -}}
{{- else if .Values.hints.tls.certManager.enabled -}}
{{- printf "%s-hints-tls" (include "fluxscale.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
The controller's rules on namespaced resources, the same in both RBAC modes (a ClusterRole
cluster-wide, a Role per watched namespace). They mirror config/rbac/role.yaml, generated from
autoscaler/rbac.go; test/integration/helm checks that they match. No wildcards.
*/}}
{{- define "fluxscale.namespacedRules" -}}
- apiGroups: [fluxscale.dev]
  resources: [scalingpolicies]
  verbs: [get, list, patch, watch]
- apiGroups: [fluxscale.dev]
  resources: [scalingpolicies/status]
  verbs: [patch, update]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, patch, watch]
- apiGroups: [flux-framework.org]
  resources: [miniclusters]
  verbs: [get, list, watch]
- apiGroups: [flux-framework.org]
  resources: [miniclusters/scale]
  verbs: [get, patch, update]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
{{- if .Values.rbac.execPods }}
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create, get]
{{- end }}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [metrics.k8s.io]
  resources: [pods]
  verbs: [get, list]
- apiGroups: [custom.metrics.k8s.io]
  resources:
  - pods/job_queue_state_cleanup_count
  - pods/job_queue_state_depend_count
  - pods/job_queue_state_priority_count
  - pods/job_queue_state_run_count
  - pods/job_queue_state_sched_count
  - pods/node_cores_free_count
  - pods/node_cores_up_count
  - pods/node_free_count
  - pods/node_up_count
  verbs: [get]
{{- end -}}
