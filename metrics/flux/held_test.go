package flux

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// heldJobsJSON is the recorded elastic-config `flux jobs --json` (step 2) with the 6-node
// job held as `flux job urgency ID hold` leaves it: still SCHED, urgency 0, priority 0.
// The fixtures hold no held job; the fields changed are the ones flux-core 0.88.0 prints
// for one.
func heldJobsJSON(t *testing.T) []byte {
	t.Helper()
	out := recorded(t, loadScenario(t, "elastic-config"), "02_jobs_json", recordedJobs())
	var doc struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	held := false
	for _, j := range doc.Jobs {
		if _, ok := j["priority"]; !ok {
			t.Fatalf("recorded job %v has no priority", j["jobid"])
		}
		if j["jobid"] == "ƒ3qFqRts" {
			j["priority"], j["urgency"], held = 0, 0, true
		}
	}
	if !held {
		t.Fatal("recorded jobs have no ƒ3qFqRts")
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHeldJobsAreNotPending(t *testing.T) {
	jobs, err := parseJobs(heldJobsJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	var pending, held []string
	for _, j := range jobs {
		if j.Pending() {
			pending = append(pending, j.ID)
		}
		if j.Held {
			held = append(held, j.ID)
		}
	}
	if diff := cmp.Diff([]string{"ƒ3mF5Nej", "ƒ3u7hZSw"}, pending); diff != "" {
		t.Errorf("pending jobs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ƒ3qFqRts"}, held); diff != "" {
		t.Errorf("held jobs (-want +got):\n%s", diff)
	}
	c := countJobs(jobs)
	if want := (Counts{Sched: 2, Held: 1, Run: 2}); c != want {
		t.Errorf("countJobs = %+v, want %+v", c, want)
	}
	if c.Pending() != 2 {
		t.Errorf("Counts.Pending() = %d, want 2 (the held job is not demand)", c.Pending())
	}
}

// TestPriorityZeroOutsideSchedIsNotHeld: only a SCHED job with priority 0 is held; a job
// without a priority yet (DEPEND) is pending whatever its urgency.
func TestPriorityZeroOutsideSchedIsNotHeld(t *testing.T) {
	out := `{"jobs": [{"jobid": "fA", "state": "DEPEND", "urgency": 0},
		{"jobid": "fB", "state": "SCHED", "urgency": 16},
		{"jobid": "fC", "state": "RUN", "priority": 0, "ranks": "0"}]}`
	jobs, err := parseJobs([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Held {
			t.Errorf("job %s (%s) read as held", j.ID, j.State)
		}
	}
}
