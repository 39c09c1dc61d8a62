package helm

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

const (
	releaseNamespace = "fluxscale-system"
	controllerSA     = "fluxscale-controller"
	clusterScope     = "(cluster)"
)

// permission is one verb on one resource, "group/resource verb" ("core" for the "" group).
type permission string

func permissions(rules []rbacv1.PolicyRule) []permission {
	var out []permission
	for _, r := range rules {
		for _, g := range r.APIGroups {
			if g == "" {
				g = "core"
			}
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, permission(g+"/"+res+" "+v))
				}
			}
		}
	}
	return out
}

// grants is what the controller's ServiceAccount may do, by scope: clusterScope for
// ClusterRoleBindings, else the RoleBinding's namespace. Only roles bound to it count.
func grants(t *testing.T, objs []*unstructured.Unstructured) map[string][]permission {
	t.Helper()
	clusterRoles, roles := map[string][]rbacv1.PolicyRule{}, map[string][]rbacv1.PolicyRule{}
	for _, o := range find(objs, "ClusterRole") {
		clusterRoles[o.GetName()] = typed[rbacv1.ClusterRole](t, o).Rules
	}
	for _, o := range find(objs, "Role") {
		roles[o.GetNamespace()+"/"+o.GetName()] = typed[rbacv1.Role](t, o).Rules
	}
	out := map[string][]permission{}
	bound := func(subjects []rbacv1.Subject) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			return s.Kind == "ServiceAccount" && s.Name == controllerSA && s.Namespace == releaseNamespace
		})
	}
	for _, o := range find(objs, "ClusterRoleBinding") {
		b := typed[rbacv1.ClusterRoleBinding](t, o)
		if bound(b.Subjects) {
			out[clusterScope] = append(out[clusterScope], permissions(clusterRoles[b.RoleRef.Name])...)
		}
	}
	for _, o := range find(objs, "RoleBinding") {
		b := typed[rbacv1.RoleBinding](t, o)
		if !bound(b.Subjects) {
			continue
		}
		rules := roles[b.Namespace+"/"+b.RoleRef.Name]
		if b.RoleRef.Kind == "ClusterRole" {
			rules = clusterRoles[b.RoleRef.Name]
		}
		out[b.Namespace] = append(out[b.Namespace], permissions(rules)...)
	}
	for scope := range out {
		sort.Slice(out[scope], func(i, j int) bool { return out[scope][i] < out[scope][j] })
		out[scope] = slices.Compact(out[scope])
	}
	return out
}

func typed[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &v); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return &v
}

// generated is the kustomize RBAC that controller-gen writes from autoscaler/rbac.go: the
// ClusterRole's permissions and the leader-election Role's.
func generated(t *testing.T) (cluster, leases []permission) {
	t.Helper()
	raw, err := os.ReadFile(repoPath(t, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs := decodeObjects(t, string(raw))
	for _, o := range find(objs, "ClusterRole") {
		cluster = append(cluster, permissions(typed[rbacv1.ClusterRole](t, o).Rules)...)
	}
	for _, o := range find(objs, "Role") {
		leases = append(leases, permissions(typed[rbacv1.Role](t, o).Rules)...)
	}
	return cluster, leases
}

func sorted(ps []permission) []permission {
	ps = slices.Clone(ps)
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return slices.Compact(ps)
}

// isReview is a permission on a cluster-scoped review API, which no Role can grant.
func isReview(p permission) bool {
	return strings.Contains(string(p), "/tokenreviews ") || strings.Contains(string(p), "/subjectaccessreviews ")
}

// The chart grants exactly the permissions autoscaler/rbac.go asks for, in either mode, with
// no wildcard; in the namespaced mode secrets and pods/exec exist only in the watched
// namespaces. The rules of each mode are logged (the closing note lists them).
func TestChartRBAC(t *testing.T) {
	cluster, leases := generated(t)
	var namespaced []permission
	for _, p := range cluster {
		if !isReview(p) {
			namespaced = append(namespaced, p)
		}
	}
	reviews := []permission{"authentication.k8s.io/tokenreviews create", "authorization.k8s.io/subjectaccessreviews create"}
	for _, tc := range []struct {
		name string
		sets []string
		want map[string][]permission
	}{{
		name: "cluster-wide",
		want: map[string][]permission{clusterScope: sorted(cluster), releaseNamespace: sorted(leases)},
	}, {
		name: "namespaced",
		sets: []string{"watchNamespaces={team-a,team-b}"},
		want: map[string][]permission{
			clusterScope: sorted(reviews), releaseNamespace: sorted(leases),
			"team-a": sorted(namespaced), "team-b": sorted(namespaced),
		},
	}, {
		name: "namespaced without pods/exec",
		sets: []string{"watchNamespaces={team-a}", "rbac.execPods=false"},
		want: map[string][]permission{
			clusterScope: sorted(reviews), releaseNamespace: sorted(leases),
			"team-a": slices.DeleteFunc(sorted(namespaced), func(p permission) bool { return strings.HasPrefix(string(p), "core/pods/exec ") }),
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.sets...)
			got := grants(t, objs)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("permissions of %s/%s by scope (-want +got):\n%s", releaseNamespace, controllerSA, diff)
			}
			noWildcards(t, objs)
			t.Logf("RBAC of the controller, %s mode (helm template --set %s):\n%s", tc.name, strings.Join(tc.sets, ","), describeGrants(got))
		})
	}
}

// noWildcards fails on a "*" in any rendered rule, bound or not.
func noWildcards(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range append(find(objs, "ClusterRole"), find(objs, "Role")...) {
		for _, r := range typed[rbacv1.ClusterRole](t, o).Rules {
			for _, v := range slices.Concat(r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs) {
				if strings.Contains(v, "*") {
					t.Errorf("%s %s has a wildcard rule: %+v", o.GetKind(), o.GetName(), r)
				}
			}
		}
	}
}

func describeGrants(g map[string][]permission) string {
	scopes := make([]string, 0, len(g))
	for s := range g {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	var b strings.Builder
	for _, s := range scopes {
		fmt.Fprintf(&b, "  %s:\n", s)
		for _, p := range g[s] {
			fmt.Fprintf(&b, "    %s\n", p)
		}
	}
	return b.String()
}
