# Reads Flux's queue and resources in one interpreter, for fluxscale (metrics/flux, the Python
# client). Run as `flux python -c PROGRAM`: it prints one JSON document and exits. The three
# reads are started together, so they cost one round trip; the CLIs they replace (flux jobs,
# flux resource status, flux resource list) each start an interpreter of their own.
#
# watch.py runs after this text in one program (FLUXSCALE_LIBRARY set first): it calls
# read_state on its own handle at each change, so a read costs no new interpreter.
import json
import sys

import flux
from flux.job import JobInfo, JobList
from flux.resource import resource_list, resource_status

# The same keys and omissions as `flux jobs --json`, so one parser reads both. duration is
# the time limit the job asked for (0: none); expiration is when a running job's limit ends
# (Unix seconds; left out while 0).
KEYS = (
    "state", "nnodes", "ntasks", "ncores", "ranks", "priority", "urgency", "duration", "expiration",
)


def read_state(h):
    """Returns the document fluxscale parses (parseProgramState): active jobs, resource
    status and the scheduler's resource list, read through handle h."""
    # max_entries=0: no cap (flux jobs stops at 1,000 by default, silently under --json);
    # user "all": every user's jobs, as flux jobs -A.
    jobs_rpc = JobList(
        h,
        attrs=list(KEYS),
        filters=["pending", "running"],
        user="all",
        max_entries=0,
    ).fetch_jobs()
    status_rpc = resource_status(h)
    list_rpc = resource_list(h)

    jobs = []
    for raw in jobs_rpc.get_jobs():
        d = JobInfo(raw).to_dict(filtered=True)
        job = {"jobid": d["jobid"]}
        for k in KEYS:
            if k in d and d[k] != "":
                job[k] = d[k]
        jobs.append(job)

    rs = status_rpc.get()
    reasons = {}
    for info in rs.drain_info:
        for rank in info.ranks:
            reasons[str(rank)] = info.reason
    rl = list_rpc.get()

    def rset(r):
        return {"ranks": str(r.ranks), "nnodes": r.nnodes, "ncores": r.ncores}

    return {
        "jobs": jobs,
        "status": {
            "all": str(rs.all),
            "offline": str(rs.offline),
            "draining": str(rs.draining),
            "drained": str(rs.drained),
            "reasons": reasons,
        },
        "list": {"free": rset(rl.free), "allocated": rset(rl.allocated), "down": rset(rl.down)},
    }


if not globals().get("FLUXSCALE_LIBRARY"):
    json.dump(read_state(flux.Flux()), sys.stdout)
