package api

import (
	"encoding/json"
	"fmt"
	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/test/builders"
)

// testNamesAndColumns checks what kubectl relies on: the short name and category served by
// discovery, and the printer columns the server renders in a Table.
func testNamesAndColumns(t *testing.T, cfg *rest.Config, c client.Client) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dc.ServerResourcesForGroupVersion("fluxscale.dev/v1alpha1")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var got []string
	for _, r := range list.APIResources {
		got = append(got, fmt.Sprintf("%s kind=%s namespaced=%t short=%v categories=%v", r.Name, r.Kind, r.Namespaced, r.ShortNames, r.Categories))
	}
	want := []string{
		"scalingpolicies kind=ScalingPolicy namespaced=true short=[sp] categories=[fluxscale]",
		"scalingpolicies/status kind=ScalingPolicy namespaced=true short=[] categories=[]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("discovered resources (-want +got):\n%s", diff)
	}

	ns := createNamespace(t, c, "columns")
	sp := builders.MakeScalingPolicy("p", ns).TargetMiniCluster("flux-sample").MinSize(2).MaxSize(8).Obj()
	if err := c.Create(t.Context(), sp); err != nil {
		t.Fatal(err)
	}
	sp.Status.CurrentSize, sp.Status.DesiredSize = 3, 5
	sp.Status.DrainingRanks = "4"
	sp.Status.Signals = []v1alpha1.SignalStatus{{Name: "flux.pendingJobs", Value: "7", Healthy: true}, {Name: "flux.nodesFree", Value: "1", Healthy: true}}
	if err := c.Status().Update(t.Context(), sp); err != nil {
		t.Fatalf("writing status: %v", err)
	}
	table := getTable(t, dc, "/apis/fluxscale.dev/v1alpha1/namespaces/"+ns+"/scalingpolicies")
	var columns []string
	for _, col := range table.ColumnDefinitions {
		columns = append(columns, col.Name+":"+col.Type)
	}
	// The wide columns (kubectl get -o wide) come from signals, conditions and drainingRanks.
	wantColumns := []string{"Name:string", "Target:string", "Min:integer", "Max:integer", "Current:integer", "Desired:integer",
		"Pending:string", "Free:string", "Signals:string", "Limited:string", "Draining:string", "Age:date"}
	if diff := cmp.Diff(wantColumns, columns); diff != "" {
		t.Errorf("printer columns (-want +got):\n%s", diff)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("table has %d rows, want 1", len(table.Rows))
	}
	// JSON numbers decode as float64; Age is rendered relative to now, so only its presence
	// is checked.
	cells := table.Rows[0].Cells
	// No conditions were written, so Signals and Limited are empty.
	wantCells := []any{"p", "flux-sample", float64(2), float64(8), float64(3), float64(5), "7", "1", nil, nil, "4"}
	if diff := cmp.Diff(wantCells, cells[:len(cells)-1]); diff != "" {
		t.Errorf("table row (-want +got):\n%s", diff)
	}
}

// getTable lists path as a server-side Table, as kubectl get does.
func getTable(t *testing.T, dc *discovery.DiscoveryClient, path string) *metav1.Table {
	t.Helper()
	raw, err := dc.RESTClient().Get().AbsPath(path).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(t.Context())
	if err != nil {
		t.Fatalf("GET %s as Table: %v", path, err)
	}
	table := &metav1.Table{}
	if err := json.Unmarshal(raw, table); err != nil {
		t.Fatalf("decoding table: %v", err)
	}
	return table
}
