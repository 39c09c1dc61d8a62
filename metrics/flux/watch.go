package flux

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// watchPy is watch.py: it follows the job and resource journals and prints a line per
// change.
//
//go:embed watch.py
var watchPy string

// watchProgram is the program a JournalWatcher runs: state.py as a library (its read_state,
// for JournalReadsProgram) and watch.py. It ships inside the binary, so nothing is
// installed where Flux runs.
var watchProgram = "FLUXSCALE_LIBRARY = True\n" + stateProgram + "\n" + watchPy

// JournalReads says who reads the state when the journals report a change.
type JournalReads int

const (
	// JournalReadsClient reads through the watcher's Client at each (paced) change: one
	// flux python per read with the Python client.
	JournalReadsClient JournalReads = iota
	// JournalReadsProgram has the watcher program read the state on its own handle (paced
	// the same way) and send it in the stream: no new interpreter per change. The Client
	// still drains and undrains.
	JournalReadsProgram
	// JournalTriggersOnly reads nothing: Watch returns a State carrying only the Version,
	// for a caller that reads the state itself when told (the controller's Exec source,
	// whose Reconcile reads once per trigger).
	JournalTriggersOnly
)

// Exit statuses of watch.py for a journal it cannot follow.
const (
	exitWatchNotOwner  = 3
	exitWatchNoJournal = 4
)

// ErrJournalUnavailable is matched (errors.Is) by the error a JournalWatcher returns when
// Flux's journals cannot be followed here at all (not the instance owner, a Flux without
// them): reconnecting will not help, the caller should poll instead. The error says why.
var ErrJournalUnavailable = errors.New("flux journals unavailable")

// ErrStreamStale is matched by the error of a stream that stopped printing, heartbeats
// included: the watcher cuts it and the next Watch reconnects.
var ErrStreamStale = errors.New("journal stream stale")

// JournalOptions configures a JournalWatcher.
type JournalOptions struct {
	// Command is the argv prefix that runs flux, as CLIOptions.Command (default "flux").
	Command []string
	// Heartbeat is how often the program says it is alive when nothing changes (default 30s).
	Heartbeat time.Duration
	// Resync bounds one Watch: when it passes without a change, Watch reads the state anyway
	// (a slow safety poll; default 60s).
	Resync time.Duration
	// StaleAfter is how long without any line makes the stream stale (default 3 heartbeats).
	StaleAfter time.Duration
	// MinReadInterval and ReadBurst pace reads as a token bucket: up to ReadBurst reads at
	// once (default 3), refilled one per MinReadInterval (default 1s). A change that finds
	// no token waits for one and folds with whatever else came. Each read starts a flux
	// python, so on a busy instance reading at every change would cost more than polling
	// every second; the burst keeps the few reads of an isolated change immediate.
	MinReadInterval time.Duration
	ReadBurst       int
	// Reads says who reads the state on a change (default JournalReadsClient).
	Reads JournalReads
	// Clock drives the bounds (default the real clock).
	Clock clock.WithTicker
}

// JournalWatcher is a Watcher that reads state through Client only when Flux's journals say
// something changed. It runs watch.py through a StreamRunner; lines that arrive while a read
// is under way fold into the next read, so a burst of changes costs few reads.
type JournalWatcher struct {
	Client
	runner StreamRunner
	argv   []string
	opts   JournalOptions

	mu sync.Mutex
	// version counts changes over every stream this watcher ran, so it only grows: a
	// stream's line N is version base+N.
	version, base uint64
	// live is true between a stream's ready line and its end.
	live bool
	// lastLine is when the stream last printed anything.
	lastLine time.Time
	// err is why the last stream ended, handed to one Watch and then cleared.
	err error
	// cancel stops the running stream; nil when none runs.
	cancel context.CancelFunc
	done   chan struct{}
	// changed is closed and replaced at every version, liveness or err change.
	changed chan struct{}
	// tokens are the reads the bucket holds at tokensAt (see MinReadInterval).
	tokens   float64
	tokensAt time.Time
	// closed is set by Close: no stream starts again.
	closed bool
	// state is the last state the program sent (JournalReadsProgram), Version set.
	state State
}

var _ Watcher = (*JournalWatcher)(nil)

// NewJournalWatcher returns a watcher that streams watch.py through r and reads state
// through c. Close stops the stream.
func NewJournalWatcher(c Client, r StreamRunner, opts JournalOptions) *JournalWatcher {
	if len(opts.Command) == 0 {
		opts.Command = []string{"flux"}
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 30 * time.Second
	}
	if opts.Resync <= 0 {
		opts.Resync = 60 * time.Second
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 3 * opts.Heartbeat
	}
	if opts.MinReadInterval <= 0 {
		opts.MinReadInterval = time.Second
	}
	if opts.ReadBurst <= 0 {
		opts.ReadBurst = 3
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	mode := "lines"
	if opts.Reads == JournalReadsProgram {
		mode = "state"
	}
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	argv := append(append([]string{}, opts.Command...), "python", "-c", watchProgram,
		secs(opts.Heartbeat), mode, secs(opts.Resync), secs(opts.MinReadInterval), strconv.Itoa(opts.ReadBurst))
	return &JournalWatcher{Client: c, runner: r, argv: argv, opts: opts, changed: make(chan struct{})}
}

// CarriesState reports whether Watch returns whole states the program read where Flux runs
// (JournalReadsProgram), which a caller may decide on without reading Flux again. Such a
// state's ObservedAt is when its line arrived, not when the program read it (see stateLine).
func (w *JournalWatcher) CarriesState() bool { return w.opts.Reads == JournalReadsProgram }

// Watch returns the state once the journals report a change after since, or after Resync
// without one (with JournalTriggersOnly, a State carrying only the Version). A broken stream
// is an error (once; the next Watch reconnects): the caller holds what it has and retries
// with backoff. An error matching ErrJournalUnavailable means the journals cannot be
// followed here: poll instead.
func (w *JournalWatcher) Watch(ctx context.Context, since uint64) (State, error) {
	// A timer, stopped on return, so many short Watch calls leave no timers behind.
	resync := w.opts.Clock.NewTimer(w.opts.Resync)
	defer resync.Stop()
	for {
		w.mu.Lock()
		if w.err != nil {
			err := w.err
			w.err = nil
			w.mu.Unlock()
			return State{}, err
		}
		if w.closed {
			w.mu.Unlock()
			return State{}, errors.New("journal watcher closed")
		}
		if w.cancel == nil {
			w.startLocked()
		}
		version, live, changed := w.version, w.live, w.changed
		st := w.state
		w.mu.Unlock()
		if live && version != since {
			if w.opts.Reads == JournalReadsProgram {
				// The program read it (paced on its side); live means it sent one.
				return st, nil
			}
			// Paced: each return makes a read, here or by the caller.
			if err := w.spaceRead(ctx); err != nil {
				return State{}, err
			}
			// Lines that came while we waited fold into this read.
			w.mu.Lock()
			version = w.version
			w.mu.Unlock()
			if w.opts.Reads == JournalTriggersOnly {
				return State{Version: version}, nil
			}
			return w.read(ctx, version)
		}
		select {
		case <-ctx.Done():
			return State{}, ctx.Err()
		case <-changed:
		case <-resync.C():
			if err := w.checkFresh(); err != nil {
				return State{}, err
			}
			if !live {
				// Cut it, so the next Watch starts another: a program that never said ready
				// (seen started while a restarted broker was loading its modules) would
				// otherwise be waited on forever.
				w.mu.Lock()
				if w.cancel != nil {
					w.cancel()
				}
				w.mu.Unlock()
				return State{}, fmt.Errorf("%w: the journal watcher was not ready after %v", ErrStreamStale, w.opts.Resync)
			}
			switch w.opts.Reads {
			case JournalReadsProgram:
				// The program reads again itself after Resync without a change.
				w.mu.Lock()
				st = w.state
				w.mu.Unlock()
				return st, nil
			case JournalTriggersOnly:
				return State{Version: version}, nil
			}
			return w.read(ctx, version)
		}
	}
}

// spaceRead waits for a read token and takes it.
func (w *JournalWatcher) spaceRead(ctx context.Context) error {
	w.mu.Lock()
	now := w.opts.Clock.Now()
	if w.tokensAt.IsZero() {
		w.tokens = float64(w.opts.ReadBurst)
	} else {
		w.tokens = min(float64(w.opts.ReadBurst), w.tokens+now.Sub(w.tokensAt).Seconds()/w.opts.MinReadInterval.Seconds())
	}
	w.tokensAt = now
	w.tokens--
	short := -w.tokens
	w.mu.Unlock()
	if short <= 0 {
		return nil
	}
	// The token is taken already (tokens < 0): wait until it would have been there.
	t := w.opts.Clock.NewTimer(time.Duration(short * float64(w.opts.MinReadInterval)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

func (w *JournalWatcher) read(ctx context.Context, version uint64) (State, error) {
	st, err := w.Client.State(ctx)
	if err != nil {
		return State{}, err
	}
	st.Version = version
	return st, nil
}

// checkFresh cuts a stream that printed nothing, not even a heartbeat, for StaleAfter.
func (w *JournalWatcher) checkFresh() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel == nil || !w.live {
		return nil
	}
	if quiet := w.opts.Clock.Since(w.lastLine); quiet >= w.opts.StaleAfter {
		w.cancel()
		return fmt.Errorf("%w: no line for %v (heartbeat every %v); reconnecting", ErrStreamStale, quiet.Round(time.Second), w.opts.Heartbeat)
	}
	return nil
}

// Close stops the stream and waits for it to end; a later Watch fails and starts none.
func (w *JournalWatcher) Close() {
	w.mu.Lock()
	w.closed = true
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (w *JournalWatcher) startLocked() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	w.lastLine = w.opts.Clock.Now()
	w.base = w.version
	go w.stream(ctx, w.done)
}

func (w *JournalWatcher) stream(ctx context.Context, done chan struct{}) {
	defer close(done)
	lines := &lineSplitter{line: w.line, max: maxWatchLine}
	if w.opts.Reads == JournalReadsProgram {
		lines.max = maxStateLine
	}
	res, err := w.runner.Stream(ctx, w.argv, lines)
	err = streamEnd(res, err)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel, w.live = nil, false
	if ctx.Err() == nil {
		// Not cut by us (Close, a stale stream): the next Watch reports it.
		w.err = err
	}
	w.wakeLocked()
}

// streamEnd explains why a stream ended; it always returns an error, as the program only
// ends when something went wrong.
func streamEnd(res Result, err error) error {
	if err != nil {
		return fmt.Errorf("journal watcher: %w", err)
	}
	why := string(bytes.TrimSpace(lastLineBytes(res.Stderr)))
	switch res.ExitCode {
	case exitWatchNotOwner, exitWatchNoJournal:
		return fmt.Errorf("%w: %s", ErrJournalUnavailable, why)
	}
	if why == "" {
		why = "no message"
	}
	return fmt.Errorf("journal watcher exited with status %d: %s", res.ExitCode, why)
}

func lastLineBytes(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// line takes one line of the program: "ready N", "change N", "state N DOC" or "alive N". N
// counts the program's changes, so a jump between two lines says how many were folded.
func (w *JournalWatcher) line(text string) {
	word, rest, _ := strings.Cut(text, " ")
	num, doc, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseUint(num, 10, 64)
	if word == "state" && err == nil {
		w.stateLine(n, doc)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastLine = w.opts.Clock.Now()
	if err != nil || w.base+n <= w.version {
		// Not a line of ours, or not newer: liveness only.
		return
	}
	switch word {
	case "ready":
		// Anything may have changed while no stream ran: a new version either way.
		w.live = true
	case "change":
	default:
		// A heartbeat: liveness only.
		return
	}
	w.version = w.base + n
	w.wakeLocked()
}

// stateLine takes a state the program read after its change n. A resync read of unchanged
// state (same n) replaces the state kept, without waking a Watch. ObservedAt is stamped when
// the line arrives, on this side's clock: the program's read happened before, by up to the
// time the line waited in the pipe, so a state read before a drain can arrive after the drain
// returned. Neither its time nor its version proves it saw the drain (the controller never
// lets a streamed state satisfy its drain fence).
func (w *JournalWatcher) stateLine(n uint64, doc string) {
	st, err := parseProgramState([]byte(doc))
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.opts.Clock.Now()
	w.lastLine = now
	version := w.base + n
	if err != nil || version < w.version || (version == w.version && !w.live) {
		// Not a state we can read, or older than the one kept: liveness only.
		return
	}
	st.ObservedAt, st.Version = now, version
	w.state = st
	if version == w.version && w.live {
		return
	}
	// The first state of a stream also says the journals are followed.
	w.live, w.version = true, version
	w.wakeLocked()
}

func (w *JournalWatcher) wakeLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// lineSplitter is the stream's stdout: it hands over each complete line and keeps a partial
// one for the next write. A line longer than max is dropped, not buffered.
type lineSplitter struct {
	line    func(string)
	max     int
	partial []byte
	// long is true while the current line has passed max.
	long bool
}

const (
	// maxWatchLine bounds a line without a state.
	maxWatchLine = 256
	// maxStateLine bounds a state line: a state of 100,000 jobs is about 10 MiB.
	maxStateLine = 64 << 20
)

func (s *lineSplitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !s.long && len(s.partial)+len(chunk) <= s.max {
			s.partial = append(s.partial, chunk...)
		} else {
			s.long = true
		}
		if i < 0 {
			break
		}
		if !s.long {
			s.line(string(s.partial))
		}
		s.partial, s.long, p = s.partial[:0], false, p[i+1:]
	}
	return n, nil
}
