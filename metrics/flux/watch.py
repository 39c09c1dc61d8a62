# Follows Flux's job and resource journals for fluxscale (metrics/flux, the journal watcher).
# Run as `flux python -c PROGRAM HEARTBEAT MODE RESYNC MIN_READ_INTERVAL READ_BURST` by the
# instance owner, with state.py's text before this one (its read_state is used here): it
# writes one line per change that matters to sizing and never exits on its own while the
# broker lives.
#
# Lines (each "WORD VERSION", VERSION counting the changes since the program started):
#   ready N   both journals are followed; N covers everything before      (MODE lines)
#   change N  a job entered or left SCHED/RUN, a priority or urgency changed, or a rank went
#             online/offline/drained/undrained                             (MODE lines)
#   state N DOC  the program read the state itself (read_state, as JSON) after change N,
#             or at the start (the first state line says the journals are followed), or
#             RESYNC seconds after the last read without a change          (MODE state)
#   alive N   nothing changed for HEARTBEAT seconds and the broker answered a ping: the
#             stream is not stale
# In MODE state the reads are paced as a token bucket: READ_BURST at once, refilled one per
# MIN_READ_INTERVAL seconds; a change that finds no token waits for one and folds with the
# changes after it. A read costs no new interpreter: it is three RPCs on this handle.
# While a line is unread (stdout blocked) later changes fold into the next line, so a burst
# of submits costs the reader one line, not one per job.
#
# Exit statuses the Go side explains: 3 not the instance owner, 4 no journal in this Flux.
import errno
import os
import sys
import threading
import time

EXIT_NOT_OWNER = 3
EXIT_NO_JOURNAL = 4

try:
    import flux
    from flux.job import JournalConsumer
    from flux.resource import ResourceJournalConsumer
except ImportError as exc:
    print(f"fluxscale: no journal consumer in this Flux's Python bindings ({exc}): " +
          "upgrade flux-core (0.88 has both), or read state by polling", file=sys.stderr)
    sys.exit(EXIT_NO_JOURNAL)

# Job events that move a job into or out of SCHED/RUN or change whether the scheduler
# wants it (priority 0 is a hold); memo, annotations, start and the like change nothing
# fluxscale sizes on.
JOB_EVENTS = {
    "submit", "depend", "priority", "urgency", "alloc", "free", "clean", "exception",
    "jobspec-update", "resource-update",
}

# Which pending line survives when another comes before it is written: the higher rank,
# and a newer state over an older one. A heartbeat never replaces anything.
RANK = {"alive": 0, "change": 1, "state": 2, "ready": 3}


class Lines:
    """Writes the latest line on a thread of its own, so a blocked stdout holds only that
    thread while the reactor keeps folding changes into the next line."""

    def __init__(self):
        self.cond = threading.Condition()
        self.pending = None  # (word, version, payload)
        threading.Thread(target=self.run, daemon=True).start()

    def put(self, word, version, payload=""):
        with self.cond:
            p = self.pending
            if p is None or RANK[word] >= RANK[p[0]]:
                self.pending = (word, version, payload)
            elif word != "alive" and p[0] == "ready":
                # "ready N" covers everything before N: it takes the newer version.
                self.pending = (p[0], version, p[2])
            self.cond.notify()

    def run(self):
        try:
            while True:
                with self.cond:
                    while self.pending is None:
                        self.cond.wait()
                    word, version, payload = self.pending
                    self.pending = None
                line = f"{word} {version}"
                if payload:
                    line += " " + payload
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
        except OSError:
            # The reader went away: nobody is left to tell.
            os._exit(1)


class Reader:
    """Reads the state on the reactor (MODE state) after changes, paced as a token bucket."""

    def __init__(self, h, lines, changes, resync, interval, burst):
        self.h, self.lines, self.changes = h, lines, changes
        self.resync, self.interval, self.burst = resync, interval, burst
        self.tokens, self.at = float(burst), time.monotonic()
        self.last_read = 0.0
        self.scheduled = False
        self.timer = h.timer_watcher_create(0, self.fire)

    def want(self):
        if self.scheduled:
            return  # the read to come folds this change in
        self.scheduled = True
        self.refill()
        delay = 0.0 if self.tokens >= 1 else (1 - self.tokens) * self.interval
        self.timer.reset(after=delay, repeat=0)

    def refill(self):
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) / self.interval)
        self.at = now

    def fire(self, *_):
        self.scheduled = False
        self.refill()
        self.tokens -= 1
        # The version of the read is the changes seen when it starts: a change the read
        # may have missed is counted after it and makes another read.
        version = self.changes[0]
        doc = read_state(self.h)  # noqa: F821 (state.py's, run before this text)
        self.last_read = time.monotonic()
        self.lines.put("state", version, json.dumps(doc, separators=(",", ":")))  # noqa: F821

    def maybe_resync(self):
        if not self.scheduled and time.monotonic() - self.last_read >= self.resync:
            self.want()


def main():
    heartbeat = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    mode = sys.argv[2] if len(sys.argv) > 2 else "lines"
    resync = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    burst = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    h = flux.Flux()
    owner = int(h.attr_get("security.owner"))
    if owner != os.getuid():
        print(f"fluxscale: uid {os.getuid()} is not the instance owner (uid {owner}): the " +
              "journals need owner credentials; run as the broker's user", file=sys.stderr)
        sys.exit(EXIT_NOT_OWNER)
    lines = Lines()
    changes = [0]
    quiet = [True]
    reader = Reader(h, lines, changes, resync, interval, burst) if mode == "state" else None

    def change():
        quiet[0] = False
        changes[0] += 1
        if reader:
            reader.want()
        else:
            lines.put("change", changes[0])

    def on_job(ev):
        if ev is None:
            raise OSError(errno.ECONNRESET, "job journal ended")
        if ev.name in JOB_EVENTS:
            change()

    ready = [False]

    def on_resource(ev):
        if ev is None:
            raise OSError(errno.ECONNRESET, "resource journal ended")
        if ev.is_empty():
            # The end of the resource history: both streams are now live. The history
            # itself (restart, online, resource-define) is in the first state read.
            ready[0] = True
            changes[0] += 1
            if reader:
                reader.want()
            else:
                lines.put("ready", changes[0])
        elif ready[0]:
            change()

    def on_pong(future):
        # Raises when the broker is gone: the handle itself does not notice a lost
        # connection, so without this the program would outlive the broker.
        future.get()
        if quiet[0]:
            lines.put("alive", changes[0])
        quiet[0] = True
        if reader and ready[0]:
            reader.maybe_resync()

    def on_tick(*_):
        h.rpc("broker.ping", {}).then(on_pong)

    JournalConsumer(h, full=False).set_callback(on_job).start()
    ResourceJournalConsumer(h, include_sentinel=True).set_callback(on_resource).start()
    h.timer_watcher_create(heartbeat, on_tick, repeat=heartbeat).start()
    try:
        h.reactor_run()
    except OSError as exc:
        if exc.errno == errno.EPERM:
            print(f"fluxscale: the journal refused us ({exc}): run as the instance owner",
                  file=sys.stderr)
            sys.exit(EXIT_NOT_OWNER)
        if exc.errno == errno.ENOSYS:
            print(f"fluxscale: this Flux has no journal service ({exc})", file=sys.stderr)
            sys.exit(EXIT_NO_JOURNAL)
        print(f"fluxscale: lost the broker or a journal: {exc}", file=sys.stderr)
        sys.exit(1)
    print("fluxscale: the broker's reactor stopped", file=sys.stderr)
    sys.exit(1)


main()
