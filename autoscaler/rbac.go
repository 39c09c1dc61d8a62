package autoscaler

// The controller's permissions, generated into config/rbac by `make manifests`
// (controller-gen rbac:roleName=fluxscale-controller). Least privilege, no wildcards:
//
//   - ScalingPolicies: read and watch; write status, and patch to add and remove the
//     finalizer that gives back drained ranks on deletion.
//   - Events (events.k8s.io, the API the manager's recorder uses): create and patch.
//   - Jobs: read and watch (targets, and the Jobs MiniClusters own); patch only to scale a
//     bare Indexed Job (parallelism and completions).
//   - MiniClusters: read and watch; change the size only through /scale.
//   - Pods: get and list, uncached, to find the rank-0 pod (no watch: the controller keeps
//     no pod cache). pods/exec create (and get, for the websocket upgrade) is needed only
//     by the Exec Flux source: a cluster using only the Agent source may remove it.
//   - Secrets: get, for the agent's token (flux.agent.tokenSecretRef).
//   - TokenReviews and SubjectAccessReviews: create, to authenticate and authorize hint
//     posters.
//   - custom.metrics.k8s.io: the flux-metrics-api metrics of pods, by name; metrics.k8s.io:
//     pod CPU use.
//   - Leases: leader election, in the controller's namespace only (a Role), and core Events
//     there: client-go's leader election records "became leader" as a core/v1 Event.
//   - EndpointSlices, in the controller's namespace only: the leader makes itself the only
//     endpoint of the selectorless hint Service (-hint-service).
//
// +kubebuilder:rbac:groups=fluxscale.dev,resources=scalingpolicies,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=fluxscale.dev,resources=scalingpolicies/status,verbs=update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=flux-framework.org,resources=miniclusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=flux-framework.org,resources=miniclusters/scale,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list
// +kubebuilder:rbac:groups="",resources=pods/exec,verbs=create;get
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
// +kubebuilder:rbac:groups=custom.metrics.k8s.io,resources=pods/node_up_count;pods/node_free_count;pods/node_cores_up_count;pods/node_cores_free_count;pods/job_queue_state_depend_count;pods/job_queue_state_priority_count;pods/job_queue_state_sched_count;pods/job_queue_state_run_count;pods/job_queue_state_cleanup_count,verbs=get
// +kubebuilder:rbac:groups=metrics.k8s.io,resources=pods,verbs=get;list
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=fluxscale-system,resources=leases,verbs=get;create;update
// +kubebuilder:rbac:groups="",namespace=fluxscale-system,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=discovery.k8s.io,namespace=fluxscale-system,resources=endpointslices,verbs=get;create;update
