#!/bin/bash
# Runs inside `flux start --test-size=4`: a -t 30m -N2 job and a -t 1h -N1 job running, a -N1
# job with no limit running, a -t 10m -N4 job pending, a -N1 pending job with no limit.
set -e
flux submit -N2 -t 30m sleep 600 >/dev/null
flux submit -N1 -t 1h sleep 600 >/dev/null
flux submit -N1 sleep 600 >/dev/null
flux submit -N4 -t 10m sleep 60 >/dev/null
flux submit -N1 sleep 60 >/dev/null
sleep 2
flux python -c "$(cat $STATEPY)" > limits.json
flux jobs -A -c 0 --json > limits.flux-jobs.json
flux jobs -A -c 0 -n -o '{id.f58} {state} {nnodes} {ranks} {duration} {expiration}' > limits.flux-jobs.txt
flux cancel --all >/dev/null 2>&1 || true
