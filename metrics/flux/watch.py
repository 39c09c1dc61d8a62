# Follows Flux's job and resource journals for fluxscale (metrics/flux, the journal watcher).
# Run as `flux python -c PROGRAM [HEARTBEAT_SECONDS]` by the instance owner: it writes one
# line per change that matters to sizing and never exits on its own while the broker lives.
#
# Lines (each "WORD VERSION", VERSION counting up from 1):
#   ready N   both journals are followed; N covers everything before
#   change N  a job entered or left SCHED/RUN, a priority or urgency changed, or a rank went
#             online/offline/drained/undrained
#   alive N   nothing changed for HEARTBEAT_SECONDS and the broker answered a ping: the
#             stream is not stale
# While a line is unread (stdout blocked) later changes fold into the next line, so a burst
# of submits costs the reader one line, not one per job.
#
# Exit statuses the Go side explains: 3 not the instance owner, 4 no journal in this Flux.
import errno
import os
import sys
import threading

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


class Lines:
    """Writes the latest version on a thread of its own, so a blocked stdout holds only that
    thread while the reactor keeps folding changes into the next line."""

    def __init__(self):
        self.cond = threading.Condition()
        self.version = 0
        self.word = None
        threading.Thread(target=self.run, daemon=True).start()

    def bump(self, word):
        with self.cond:
            self.version += 1
            # A change outranks a heartbeat; "ready" outranks both while unread.
            if self.word != "ready" and not (word == "alive" and self.word == "change"):
                self.word = word
            self.cond.notify()

    def run(self):
        try:
            while True:
                with self.cond:
                    while self.word is None:
                        self.cond.wait()
                    line = f"{self.word} {self.version}\n"
                    self.word = None
                sys.stdout.write(line)
                sys.stdout.flush()
        except OSError:
            # The reader went away: nobody is left to tell.
            os._exit(1)


def main():
    heartbeat = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    h = flux.Flux()
    owner = int(h.attr_get("security.owner"))
    if owner != os.getuid():
        print(f"fluxscale: uid {os.getuid()} is not the instance owner (uid {owner}): the " +
              "journals need owner credentials; run as the broker's user", file=sys.stderr)
        sys.exit(EXIT_NOT_OWNER)
    lines = Lines()
    quiet = [True]

    def change():
        quiet[0] = False
        lines.bump("change")

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
            lines.bump("ready")
        elif ready[0]:
            change()

    def on_pong(future):
        # Raises when the broker is gone: the handle itself does not notice a lost
        # connection, so without this the program would outlive the broker.
        future.get()
        if quiet[0]:
            lines.bump("alive")
        quiet[0] = True

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
