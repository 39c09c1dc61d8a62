# Reads Flux's queue and resources in one interpreter, for fluxscale (metrics/flux, the Python
# client). Run as `flux python -c PROGRAM`: it prints one JSON document and exits. The job list
# and the resource status are read together, then the scheduler's own allocations (two round
# trips); the CLIs they replace (flux jobs, flux resource status, flux resource list) each start
# an interpreter of their own.
#
# watch.py runs after this text in one program (FLUXSCALE_LIBRARY set first): it calls
# read_state on its own handle at each change, so a read costs no new interpreter.
import json
import sys

import flux
from flux.job import JobInfo, JobList
from flux.resource import ResourceStatus, SchedResourceList, resource_list

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
    # The order of the two resource reads is what lets a state prove a shrink safe
    # (autoscaler/fence.go). The resource module shows a drain (and its reason) as soon as it
    # takes the request, before its eventlog commit; only after the commit does it tell the
    # scheduler, which keeps placing jobs on the rank until it has taken that in. So the
    # drains are read first, and the allocations after, from the scheduler itself
    # (sched.resource-status), with the ranks it counts down: a rank the status shows drained
    # and the scheduler shows down and unallocated had no job when the scheduler answered,
    # and gets none until it is undrained. resource.sched-status (what flux resource list
    # reads) would not do: it answers with the job manager's allocations, which lag the
    # scheduler's by the commit of each new job's R.
    rstatus = h.rpc("resource.status", nodeid=0).get()
    rl, own = sched_resources(h)
    rs = ResourceStatus(rstatus, allocated_ranks=rl.allocated.ranks)

    jobs = []
    for raw in jobs_rpc.get_jobs():
        d = JobInfo(raw).to_dict(filtered=True)
        job = {"jobid": d["jobid"]}
        for k in KEYS:
            if k in d and d[k] != "":
                job[k] = d[k]
        jobs.append(job)

    reasons = {}
    for info in rs.drain_info:
        for rank in info.ranks:
            reasons[str(rank)] = info.reason

    def rset(r):
        return {"ranks": str(r.ranks), "nnodes": r.nnodes, "ncores": r.ncores}

    doc = {
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
    if own:
        # The list is the scheduler's own, read after the status: its down ranks are the
        # ones it places nothing on.
        doc["scheduler"] = True
    return doc


def sched_resources(h):
    """Returns the scheduler's own resource list and True or, when the scheduler does not
    answer sched.resource-status, the job manager's (resource.sched-status, as flux resource
    list reads it) and False: such a state is good for sizing, but proves no shrink."""
    try:
        return SchedResourceList(h.rpc("sched.resource-status", nodeid=0).get()), True
    except OSError:
        pass
    return resource_list(h).get(), False


if not globals().get("FLUXSCALE_LIBRARY"):
    json.dump(read_state(flux.Flux()), sys.stdout)
