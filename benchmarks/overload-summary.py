#!/usr/bin/env python3
"""Summarises an overload run of benchmarks/overload.sh: client-side figures from the harness's
report.json, server-side claim wait (HTTP edge -> binding) from the /metrics histogram deltas, peak
heap from jstat, and the recovery run's per-second p99."""
import json, re, sys

out = sys.argv[1]

def load(name):
    return json.load(open(f"{out}/{name}/report.json"))

def metrics(name):
    buckets, counters = {}, {}
    for line in open(f"{out}/{name}"):
        if line.startswith("#"):
            continue
        m = re.match(r'agent_sandbox_claim_wait_seconds_bucket\{(.*)\} (\S+)', line)
        if m and 'pool="python-gvisor"' in m.group(1):
            le = re.search(r'le="([^"]+)"', m.group(1)).group(1)
            le = float("inf") if le == "+Inf" else float(le)
            buckets[le] = buckets.get(le, 0) + float(m.group(2))
        m = re.match(r'agent_sandbox_claims_total\{(.*)\} (\S+)', line)
        if m and 'pool="python-gvisor"' in m.group(1):
            outcome = re.search(r'outcome="([^"]+)"', m.group(1)).group(1)
            counters[outcome] = counters.get(outcome, 0) + float(m.group(2))
    return buckets, counters

def quantile(buckets, q):
    les = sorted(buckets)
    total = buckets[les[-1]]
    if total == 0:
        return None
    for le in les:
        if buckets[le] >= q * total:
            return le
    return les[-1]

fm = load("find-max")
ov = load("overload")
rc = load("recovery")
print("sustained claims/s:", fm["headline"].get("claims max sustained rate /s"))
r = ov["runs"][0]
print("overload offered/s:", r["offeredRate"], "attempted:", r["attempted"], "201:", r["ok"], "achieved/s:", r["achievedRate"])
print("overload errors:", json.dumps(r["errors"]))
print("client-side latency of 201s (ms, from intended send):", json.dumps(r["latencyMs"]))
b0, c0 = metrics("metrics-before.txt")
b1, c1 = metrics("metrics-after.txt")
delta = {le: b1.get(le, 0) - b0.get(le, 0) for le in b1}
print("server-side claim wait during overload (bucket upper bounds, s): count=%d p50<=%s p99<=%s p99.9<=%s max<=%s" % (
    delta[float("inf")], quantile(delta, .5), quantile(delta, .99), quantile(delta, .999), quantile(delta, 1.0)))
print("server claims_total delta by outcome:", {k: int(c1[k] - c0.get(k, 0)) for k in sorted(c1) if c1[k] - c0.get(k, 0)})
# jstat -gc columns: S0C S1C S0U S1U EC EU OC OU ...
peak = 0
cols = None
for line in open(f"{out}/jstat.txt"):
    parts = line.split()
    if parts and parts[0] == "S0C":
        cols = parts
        continue
    if cols and len(parts) == len(cols):
        v = dict(zip(cols, map(float, parts)))
        peak = max(peak, v["S0U"] + v["S1U"] + v["EU"] + v["OU"])
print("peak heap used: %.0f MiB" % (peak / 1024))
rr = rc["runs"][0]
print("recovery at %s/s: p99 per second (ms):" % rr["offeredRate"], [iv["p99Ms"] for iv in rr["intervals"]])
print("recovery errors:", json.dumps(rr["errors"]), "latency:", json.dumps(rr["latencyMs"]))
