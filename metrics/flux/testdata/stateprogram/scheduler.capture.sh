#!/bin/bash
# Runs inside `flux start --test-size=4`: a -N1 job running on rank 3 and a -N1 job on rank 0,
# then ranks 2-3 drained with one reason (rank 3 still runs its job: draining); rank 1 stays
# free. state.py then asks the scheduler itself (sched.resource-status) for the allocations.
set -e
flux submit -N1 --requires=rank:3 --wait-event=start sleep 600 >/dev/null
flux submit -N1 --requires=rank:0 --wait-event=start sleep 600 >/dev/null
flux resource drain -u 2-3 'fluxscale: scale-down to 2 (drain 5e1f0c2a9b7d)'
flux python -c "$(cat $STATEPY)" > scheduler.json
flux resource status -n -o '{state} {ranks} {reason}' > scheduler.resource-status.txt
flux resource list -n -o '{state} {ranks}' > scheduler.resource-list.txt
flux cancel --all >/dev/null 2>&1 || true
