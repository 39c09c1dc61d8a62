package flux

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeStream is a fake StreamRunner: it writes the lines it is given, then exits with
// exit (or, when hang is set, waits for the stream's context to end).
type fakeStream struct {
	lines  []string
	stderr string
	exit   int
	hang   bool
	starts atomic.Int32
	// written, when not nil, is closed once the lines are written.
	written chan struct{}
}

func (f *fakeStream) Stream(ctx context.Context, _ []string, stdout io.Writer) (Result, error) {
	f.starts.Add(1)
	for _, l := range f.lines {
		if _, err := io.WriteString(stdout, l+"\n"); err != nil {
			return Result{}, err
		}
	}
	if f.written != nil {
		close(f.written)
	}
	if f.hang {
		<-ctx.Done()
		return Result{}, ctx.Err()
	}
	return Result{Stderr: []byte(f.stderr), ExitCode: f.exit}, nil
}

// fakeStateClient is a fake Client whose State counts reads and reports no jobs.
type fakeStateClient struct {
	Client
	reads atomic.Int32
}

func (f *fakeStateClient) State(context.Context) (State, error) {
	f.reads.Add(1)
	return State{Size: 1}, nil
}

func TestJournalWatcherUnavailable(t *testing.T) {
	for name, exit := range map[string]int{"not owner": exitWatchNotOwner, "no journal": exitWatchNoJournal} {
		t.Run(name, func(t *testing.T) {
			stream := &fakeStream{stderr: "Traceback...\nfluxscale: the reason\n", exit: exit}
			w := NewJournalWatcher(&fakeStateClient{}, stream, JournalOptions{})
			defer w.Close()
			_, err := w.Watch(t.Context(), 0)
			if !errors.Is(err, ErrJournalUnavailable) || !strings.HasSuffix(err.Error(), ": fluxscale: the reason") {
				t.Errorf("Watch = %v, want ErrJournalUnavailable ending with the program's last line", err)
			}
		})
	}
}

// TestJournalWatcherFoldsLines gives the watcher a ready line and 1,000 changes before it
// reads: one read, at the last version.
func TestJournalWatcherFoldsLines(t *testing.T) {
	lines := []string{"ready 1"}
	for n := 2; n <= 1001; n++ {
		lines = append(lines, "change "+itoa(n))
	}
	stream := &fakeStream{lines: lines, hang: true, written: make(chan struct{})}
	client := &fakeStateClient{}
	w := NewJournalWatcher(client, stream, JournalOptions{})
	defer w.Close()
	// The first Watch starts the stream and returns at a first batch of lines; by the
	// second (if one is needed), all lines are in.
	st, err := w.Watch(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	<-stream.written
	if st.Version != 1001 {
		if st, err = w.Watch(t.Context(), st.Version); err != nil {
			t.Fatal(err)
		}
	}
	if st.Version != 1001 || client.reads.Load() > 2 {
		t.Errorf("Watch = version %d after %d reads, want version 1001 after at most 2", st.Version, client.reads.Load())
	}
}

// TestJournalWatcherStale: a stream that prints nothing for StaleAfter is cut and reported;
// the next Watch starts a new stream.
func TestJournalWatcherStale(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	stream := &fakeStream{lines: []string{"ready 1"}, hang: true}
	w := NewJournalWatcher(&fakeStateClient{}, stream, JournalOptions{Clock: clk, Heartbeat: 10 * time.Second, Resync: 40 * time.Second})
	defer w.Close()
	st, err := w.Watch(t.Context(), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("first Watch = %d, %v; want version 1", st.Version, err)
	}
	got := make(chan error, 1)
	go func() { _, err := w.Watch(t.Context(), 1); got <- err }()
	waitForWaiter(t, clk)
	clk.Step(40 * time.Second)
	if err := <-got; !errors.Is(err, ErrStreamStale) {
		t.Fatalf("Watch after 40s without a line = %v, want ErrStreamStale", err)
	}
	if _, err := w.Watch(t.Context(), 1); err != nil {
		t.Fatalf("Watch after the stale stream: %v", err)
	}
	if n := stream.starts.Load(); n != 2 {
		t.Errorf("%d streams started, want 2 (one reconnect)", n)
	}
}

// TestJournalWatcherNeverReady: a stream that never says ready is cut at Resync and
// reported; the next Watch starts another instead of waiting on the hung one.
func TestJournalWatcherNeverReady(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	stream := &fakeStream{hang: true}
	w := NewJournalWatcher(&fakeStateClient{}, stream, JournalOptions{Clock: clk, Heartbeat: 10 * time.Second, Resync: 40 * time.Second, StaleAfter: 10 * time.Minute})
	defer w.Close()
	got := make(chan error, 1)
	go func() { _, err := w.Watch(t.Context(), 0); got <- err }()
	waitForWaiter(t, clk)
	clk.Step(40 * time.Second)
	if err := <-got; !errors.Is(err, ErrStreamStale) {
		t.Fatalf("Watch of a stream never ready = %v, want ErrStreamStale", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { _, err := w.Watch(ctx, 0); got <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for stream.starts.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams started after the cut, want 2", stream.starts.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-got
}

// TestJournalWatcherResync: with heartbeats and no change, Watch reads at Resync anyway.
func TestJournalWatcherResync(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	stream := &fakeStream{lines: []string{"ready 1"}, hang: true}
	client := &fakeStateClient{}
	w := NewJournalWatcher(client, stream, JournalOptions{Clock: clk, Heartbeat: 30 * time.Second, Resync: 60 * time.Second, StaleAfter: 10 * time.Minute})
	defer w.Close()
	if _, err := w.Watch(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan State, 1)
	go func() { st, _ := w.Watch(t.Context(), 1); got <- st }()
	waitForWaiter(t, clk)
	clk.Step(60 * time.Second)
	if st := <-got; st.Version != 1 || client.reads.Load() != 2 {
		t.Errorf("resync = version %d after %d reads, want version 1 after 2", st.Version, client.reads.Load())
	}
}

func waitForWaiter(t *testing.T, clk *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("Watch never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLineSplitter(t *testing.T) {
	var got []string
	s := &lineSplitter{line: func(l string) { got = append(got, l) }, max: maxWatchLine}
	for _, p := range []string{"ready 1\nchan", "ge 2\n", strings.Repeat("x", 300), "\nalive 3\n"} {
		if n, err := s.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if want := []string{"ready 1", "change 2", "alive 3"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q (the 300-byte line dropped)", got, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestJournalWatcherSpacesReads: with a bucket of one read, a change within MinReadInterval
// of the last read waits for the interval's end, and changes that come meanwhile fold into
// that one read.
func TestJournalWatcherSpacesReads(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	stream := &fakeStream{lines: []string{"ready 1"}, hang: true}
	client := &fakeStateClient{}
	w := NewJournalWatcher(client, stream, JournalOptions{Clock: clk, MinReadInterval: time.Second, ReadBurst: 1})
	defer w.Close()
	if _, err := w.Watch(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	w.line("change 2")
	got := make(chan State, 1)
	go func() { st, _ := w.Watch(t.Context(), 1); got <- st }()
	// Two timers: the Watch's resync and the spacing.
	deadline := time.Now().Add(10 * time.Second)
	for clk.Waiters() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d clock waiters, want 2 (resync and spacing)", clk.Waiters())
		}
		time.Sleep(time.Millisecond)
	}
	w.line("change 3")
	clk.Step(999 * time.Millisecond)
	select {
	case st := <-got:
		t.Fatalf("Watch returned version %d before the interval ended", st.Version)
	default:
	}
	clk.Step(time.Millisecond)
	if st := <-got; st.Version != 3 || client.reads.Load() != 2 {
		t.Errorf("Watch = version %d after %d reads, want version 3 after 2", st.Version, client.reads.Load())
	}
}

// stateDoc is a state line's document: n held jobs on 2 idle ranks.
func stateDoc(held int) string {
	var jobs []string
	for i := range held {
		jobs = append(jobs, `{"jobid":"f`+itoa(i+1)+`","state":"SCHED","ntasks":1,"ncores":1,"priority":0,"urgency":0}`)
	}
	return `{"jobs":[` + strings.Join(jobs, ",") + `],"status":{"all":"0-1","offline":"","draining":"","drained":"","reasons":{}},` +
		`"list":{"free":{"ranks":"0-1","nnodes":2,"ncores":4},"allocated":{"ranks":"","nnodes":0,"ncores":0},"down":{"ranks":"","nnodes":0,"ncores":0}}}`
}

// TestJournalWatcherProgramReads: with JournalReadsProgram, Watch returns the states the
// program sends and never reads through the Client; the newest state of a burst wins.
func TestJournalWatcherProgramReads(t *testing.T) {
	stream := &fakeStream{lines: []string{
		"state 1 " + stateDoc(0), "alive 1", "state 3 " + stateDoc(1), "state 2 " + stateDoc(5), "state 700 " + stateDoc(2),
	}, hang: true, written: make(chan struct{})}
	client := &fakeStateClient{}
	w := NewJournalWatcher(client, stream, JournalOptions{Reads: JournalReadsProgram})
	defer w.Close()
	st, err := w.Watch(t.Context(), 0) // starts the stream
	if err != nil {
		t.Fatal(err)
	}
	<-stream.written
	if st.Version != 700 {
		if st, err = w.Watch(t.Context(), st.Version); err != nil {
			t.Fatal(err)
		}
	}
	if st.Version != 700 || st.Counts.Held != 2 || st.Nodes.Free != 2 || !st.PerRank {
		t.Errorf("Watch = version %d, %d held, %d free; want version 700, 2 held (the newest state), 2 free", st.Version, st.Counts.Held, st.Nodes.Free)
	}
	if n := client.reads.Load(); n != 0 {
		t.Errorf("%d reads through the Client, want 0: the program reads", n)
	}
}

// TestJournalWatcherProgramResync: a resync state (the same version) replaces the state kept
// without waking a Watch; at Resync, Watch returns it.
func TestJournalWatcherProgramResync(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	stream := &fakeStream{lines: []string{"state 1 " + stateDoc(0)}, hang: true}
	w := NewJournalWatcher(&fakeStateClient{}, stream, JournalOptions{Reads: JournalReadsProgram, Clock: clk, StaleAfter: time.Hour})
	defer w.Close()
	if _, err := w.Watch(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan State, 1)
	go func() { st, _ := w.Watch(t.Context(), 1); got <- st }()
	waitForWaiter(t, clk)
	w.line("state 1 " + stateDoc(3))
	select {
	case st := <-got:
		t.Fatalf("a resync state of the same version woke Watch (version %d)", st.Version)
	default:
	}
	clk.Step(60 * time.Second)
	if st := <-got; st.Version != 1 || st.Counts.Held != 3 {
		t.Errorf("Watch at resync = version %d with %d held, want version 1 with 3 (the resync's state)", st.Version, st.Counts.Held)
	}
}

// TestJournalWatcherTriggersOnly: with JournalTriggersOnly, Watch returns the version of
// the lines folded so far and reads nothing.
func TestJournalWatcherTriggersOnly(t *testing.T) {
	lines := []string{"ready 1"}
	for n := 2; n <= 1001; n++ {
		lines = append(lines, "change "+itoa(n))
	}
	stream := &fakeStream{lines: lines, hang: true, written: make(chan struct{})}
	client := &fakeStateClient{}
	w := NewJournalWatcher(client, stream, JournalOptions{Reads: JournalTriggersOnly})
	defer w.Close()
	st, err := w.Watch(t.Context(), 0) // starts the stream
	if err != nil {
		t.Fatal(err)
	}
	<-stream.written
	if st.Version != 1001 {
		if st, err = w.Watch(t.Context(), st.Version); err != nil {
			t.Fatal(err)
		}
	}
	if st.Version != 1001 || client.reads.Load() != 0 {
		t.Errorf("Watch = version %d after %d reads, want version 1001 (1,001 lines, at most two triggers) after none", st.Version, client.reads.Load())
	}
}

// TestWatchProgramCarriesStateReader: the program the watcher runs is state.py as a library
// followed by watch.py, and passes the mode and pacing.
func TestWatchProgramCarriesStateReader(t *testing.T) {
	w := NewJournalWatcher(&fakeStateClient{}, &fakeStream{}, JournalOptions{Reads: JournalReadsProgram, Resync: 90 * time.Second,
		MinReadInterval: 500 * time.Millisecond, ReadBurst: 2, Heartbeat: 10 * time.Second})
	prog := w.argv[3]
	if !strings.HasPrefix(prog, "FLUXSCALE_LIBRARY = True\n") || !strings.Contains(prog, "def read_state(h)") || !strings.HasSuffix(prog, "main()\n") {
		t.Errorf("program does not start with the library marker, hold read_state and end with watch.py's main()")
	}
	if got, want := w.argv[4:], []string{"10", "state", "90", "0.5", "2"}; !slices.Equal(got, want) {
		t.Errorf("program arguments %q, want %q", got, want)
	}
}

// TestJournalWatcherClosedStartsNothing: after Close, Watch fails and no stream starts, so
// a Watch still in flight when its policy went away cannot leave an exec running.
func TestJournalWatcherClosedStartsNothing(t *testing.T) {
	stream := &fakeStream{lines: []string{"ready 1"}, hang: true}
	w := NewJournalWatcher(&fakeStateClient{}, stream, JournalOptions{Reads: JournalTriggersOnly})
	if _, err := w.Watch(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := w.Watch(t.Context(), 1); err == nil {
		t.Error("Watch after Close succeeded, want an error")
	}
	if n := stream.starts.Load(); n != 1 {
		t.Errorf("%d streams started, want 1", n)
	}
}

// TestJournalWatcherProgramStateIsTheReadersState: a state line carries what the direct
// Python reader gives for the same document (per-rank drain state and reasons, running jobs
// with their ranks, time limits and expirations, held jobs), so a caller deciding on it
// decides on what a read would have shown; only ObservedAt (the line's arrival) and Version
// (the program's change count) are the watcher's.
func TestJournalWatcherProgramStateIsTheReadersState(t *testing.T) {
	raw, err := os.ReadFile("testdata/stateprogram/drain-held.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(strings.TrimSpace(string(raw)), `"ranks": "3", "priority"`,
		`"ranks": "3", "duration": 3600.0, "expiration": 1800000000.5, "priority"`, 1)
	if doc == strings.TrimSpace(string(raw)) {
		t.Fatal("the recorded document no longer has the job this test gives a time limit")
	}
	want, err := parseProgramState([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	stream := &fakeStream{lines: []string{"state 4 " + doc}, hang: true}
	client := &fakeStateClient{}
	w := NewJournalWatcher(client, stream, JournalOptions{Reads: JournalReadsProgram, Clock: clk})
	defer w.Close()
	if !w.CarriesState() {
		t.Error("CarriesState false in JournalReadsProgram")
	}
	got, err := w.Watch(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 4 || !got.ObservedAt.Equal(clk.Now()) {
		t.Errorf("version %d observed %s, want 4 at the line's arrival %s", got.Version, got.ObservedAt, clk.Now())
	}
	want.Version, want.ObservedAt = got.Version, got.ObservedAt
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streamed state differs from the reader's (-reader +stream):\n%s", diff)
	}
	var limited bool
	for _, j := range got.Jobs {
		limited = limited || !j.Expiration.IsZero()
	}
	if !limited || got.Counts.Held != 1 || got.Ranks[3].Reason != "fluxscale capture" {
		t.Errorf("streamed state lost a field: expiration seen %v, %d held, rank 3 reason %q", limited, got.Counts.Held, got.Ranks[3].Reason)
	}
	if n := client.reads.Load(); n != 0 {
		t.Errorf("%d reads through the Client, want 0", n)
	}
	for _, reads := range []JournalReads{JournalReadsClient, JournalTriggersOnly} {
		if NewJournalWatcher(client, stream, JournalOptions{Reads: reads}).CarriesState() {
			t.Errorf("CarriesState true for JournalReads %d, whose Watch returns no program state", reads)
		}
	}
}
