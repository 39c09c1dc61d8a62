package flux

import (
	"strings"
	"testing"
	"time"
)

// addRecordings seeds f with every recording whose name contains one of the parts, from
// all scenarios.
func addRecordings(f *testing.F, parts ...string) {
	for _, name := range []string{"idle", "busy", "drain", "elastic", "elastic-config", "unsatisfiable", "formats"} {
		s := loadScenario(f, name)
		for _, e := range s.Entries {
			for _, part := range parts {
				if strings.Contains(e.Name, part) {
					out, err := s.Read(e.Name)
					if err != nil {
						f.Fatal(err)
					}
					f.Add(out.Stdout)
					break
				}
			}
		}
	}
}

func FuzzParseResourceStatus(f *testing.F) {
	addRecordings(f, "resource_status")
	f.Add([]byte("avail 2 0-1 h \x00\n"))
	f.Add([]byte("drained* 1 4294967296 h x\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		rows, err := parseResourceStatus(out)
		if err != nil {
			return
		}
		for _, row := range rows {
			if !isStatusState(row.State) {
				t.Errorf("accepted unknown state %q", row.State)
			}
			if err := row.Ranks.Validate(); err != nil {
				t.Errorf("accepted ranks %v: %v", row.Ranks, err)
			}
			if strings.Contains(row.Reason, "\n") {
				t.Errorf("reason %q spans lines", row.Reason)
			}
		}
	})
}

func FuzzParseResourceList(f *testing.F) {
	addRecordings(f, "resource_list")
	f.Add([]byte("free 1 2 3 h\nallocated 0 0  \ndown 0 0  \n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		list, err := parseResourceList(out, listColumns())
		if err != nil {
			return
		}
		for _, row := range []listRow{list.Free, list.Allocated, list.Down} {
			if err := row.Ranks.Validate(); err != nil || int(row.NNodes) != len(row.Ranks) || row.NCores < 0 {
				t.Errorf("accepted row %+v (ranks: %v)", row, err)
			}
		}
	})
}

func FuzzParseJobs(f *testing.F) {
	addRecordings(f, "json")
	f.Add([]byte(`{"jobs": [{"jobid": "fA", "state": "RUN", "nnodes": 2147483648}]}`))
	f.Fuzz(func(t *testing.T, out []byte) {
		jobs, err := parseJobs(out)
		if err != nil {
			return
		}
		for _, j := range jobs {
			active := j.Pending() || j.State == JobRun || j.State == JobCleanup
			if !active || j.ID == "" || j.NNodes < 0 || j.NCores < 0 || j.NTasks < 0 || j.Ranks.Validate() != nil {
				t.Errorf("accepted job %+v", j)
			}
		}
	})
}

// FuzzAssemble feeds arbitrary status and list outputs through assembly: a State it returns
// must index ranks by position and count only ranks it has.
func FuzzAssemble(f *testing.F) {
	s := loadScenario(f, "elastic-config")
	for _, step := range []string{"01", "02", "03"} {
		status, err := s.Read(step + "_resource_status_fmt")
		if err != nil {
			f.Fatal(err)
		}
		list, err := s.Read(step + "_resource_list_fmt")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(status.Stdout, list.Stdout)
	}
	f.Fuzz(func(t *testing.T, statusOut, listOut []byte) {
		status, err := parseResourceStatus(statusOut)
		if err != nil {
			return
		}
		list, err := parseResourceList(listOut, listColumns())
		if err != nil {
			return
		}
		st, err := assembleState(time.Time{}, nil, status, list)
		if err != nil {
			return
		}
		if int(st.Size) != len(st.Ranks) || st.Size == 0 {
			t.Fatalf("Size %d with %d ranks", st.Size, len(st.Ranks))
		}
		for i, r := range st.Ranks {
			if int(r.Rank) != i {
				t.Fatalf("Ranks[%d] is rank %d", i, r.Rank)
			}
		}
		n := st.Nodes
		if n.Up+n.Down != st.Size || n.Free > n.Up || n.Allocated > st.Size || n.Free < 0 || st.CoresPerNode < 0 {
			t.Fatalf("node counts %+v for size %d", n, st.Size)
		}
	})
}
