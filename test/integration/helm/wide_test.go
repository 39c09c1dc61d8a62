package helm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// wideTable asks the API server for the ScalingPolicies of ns as the Table kubectl prints
// for `kubectl get sp -o wide`, and returns it rendered and as name -> column -> cell.
func wideTable(t *testing.T, e *installEnv, ns string) (string, map[string]map[string]string) {
	t.Helper()
	raw, err := e.c.Client().Discovery().RESTClient().Get().
		AbsPath("/apis/fluxscale.dev/v1alpha1/namespaces", ns, "scalingpolicies").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		DoRaw(t.Context())
	if err != nil {
		t.Fatalf("getting the ScalingPolicy table of %s: %v", ns, err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	var header []string
	for _, c := range table.ColumnDefinitions {
		header = append(header, strings.ToUpper(c.Name))
	}
	fmt.Fprintln(w, strings.Join(header, "\t"))
	cells := map[string]map[string]string{}
	for _, r := range table.Rows {
		row := make([]string, len(r.Cells))
		byColumn := map[string]string{}
		for i, c := range r.Cells {
			row[i] = fmt.Sprint(c)
			if c == nil {
				row[i] = ""
			}
			byColumn[table.ColumnDefinitions[i].Name] = row[i]
		}
		cells[row[0]] = byColumn
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	w.Flush()
	return b.String(), cells
}
