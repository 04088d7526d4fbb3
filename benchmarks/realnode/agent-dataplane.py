#!/usr/bin/env python3
"""The in-sandbox agent on the real node (root, under `flock /tmp/heavy.lock`, node already up:
scripts/real-node.sh up). Starts the server jar against the node, makes two gVisor warm pools from
one template shape (RuntimeClass gvisor-hostnet: gVisor --network=none pods have no reachable pod
IP), one with the agent injected and one opted out (agentsandbox.io/agent: "false"), then:

  * proves the agent runs as the container's init with the template's command as its child, that
    /healthz answers without the secret and POST /v1/exec answers 401 without it, 200 with it;
  * measures the exec round trip of `true` from the host: agent over TCP (keep-alive) vs the
    server's POST /v1/sandboxes/{id}/exec (pods/exec through the API server, PodExecExecutor) vs
    `kubectl exec` (one process per call);
  * measures PSS per idle warm pod (processes in the pod's kubepods memory cgroup) with and without.

usage: agent-dataplane.py KUBECONFIG SERVER_JAR [CALLS]
"""
import hashlib, hmac, http.client, json, os, secrets, socket, statistics, subprocess, sys, time

KCFG, JAR = sys.argv[1], sys.argv[2]
CALLS = int(sys.argv[3]) if len(sys.argv) > 3 else 200
KUBECTL = os.path.expanduser("~/.cache/agent-sandbox/kube-1.20.2/bin/kubectl")
NS = "dp-" + secrets.token_hex(3)
LOGS = os.environ.get("DP_LOGS", "/tmp")


def k(*a, inp=None, check=True):
    r = subprocess.run([KUBECTL, "--kubeconfig", KCFG, *a], input=inp, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise SystemExit(f"kubectl {' '.join(a)}: {r.stderr}")
    return r.stdout


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def pct(xs, q):
    s = sorted(xs); return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def wait(secs, what, fn):
    end = time.time() + secs
    while time.time() < end:
        v = fn()
        if v: return v
        time.sleep(0.2)
    raise SystemExit("timeout: " + what)


def template(name, optout):
    ann = '\n  annotations: {agentsandbox.io/agent: "false"}' if optout else ""
    return f"""apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxTemplate
metadata:
  name: {name}{ann}
spec:
  podTemplate:
    spec:
      runtimeClassName: gvisor-hostnet
      terminationGracePeriodSeconds: 1
      enableServiceLinks: false
      containers:
      - name: agent-runtime
        image: localhost/python:e2e
        imagePullPolicy: Never
        command: [/bin/sleep, "2147483647"]
---
apiVersion: extensions.agents.x-k8s.io/v1beta1
kind: SandboxWarmPool
metadata: {{name: {name}}}
spec:
  replicas: 2
  sandboxTemplateRef: {{name: {name}}}
"""


def pods(prefix):
    items = json.loads(k("-n", NS, "get", "pods", "-o", "json"))["items"]
    return [p for p in items if p["metadata"]["name"].startswith(prefix + "-")
            and not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]


def pod_pss_kb(uid):
    kb = 0
    for root in ("/sys/fs/cgroup/memory/kubepods",):
        for d, _, files in os.walk(root):
            if "pod" + uid not in d or "cgroup.procs" not in files: continue
            for pid in open(os.path.join(d, "cgroup.procs")).read().split():
                try:
                    for line in open(f"/proc/{pid}/smaps_rollup"):
                        if line.startswith("Pss:"): kb += int(line.split()[1])
                except OSError:
                    pass
    return kb


def main():
    key = secrets.token_bytes(32)
    keyfile = f"/tmp/{NS}.agent.key"
    with open(keyfile, "wb") as f: f.write(key)
    os.chmod(keyfile, 0o600)
    port = free_port()
    crds = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../crds")
    for f in sorted(os.listdir(crds)):
        if f.endswith(".yaml"): k("apply", "-f", os.path.join(crds, f))
    k("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    k("create", "namespace", NS)
    wait(60, "default SA", lambda: k("-n", NS, "get", "sa", "default", check=False))
    log = open(f"{LOGS}/{NS}-server.log", "w")
    srv = subprocess.Popen(["java", "-Xmx512m", "-jar", JAR, "--backend", "kubernetes", "--kubeconfig", KCFG,
                            "--watch-namespace", NS, "--host", "127.0.0.1", "--port", str(port),
                            "--shards", "2", "--http-instances", "1", "--agent-key-file", keyfile,
                            "--state-dir", f"/tmp/{NS}-state"], stdout=log, stderr=subprocess.STDOUT)
    try:
        def ready():
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2); c.request("GET", "/readyz")
                return c.getresponse().status == 200
            except OSError:
                return False
        wait(90, "server ready", ready)
        k("-n", NS, "apply", "-f", "-", inp=template("withagent", False) + "---\n" + template("plain", True))
        withagent = wait(180, "2 agent pods Ready", lambda: (lambda p: p if len(p) >= 2 else None)(pods("withagent")))
        plain = wait(180, "2 plain pods Ready", lambda: (lambda p: p if len(p) >= 2 else None)(pods("plain")))
        p = withagent[0]
        name, ip = p["metadata"]["name"], p["status"]["podIP"]
        assert p["metadata"]["annotations"].get("agentsandbox.io/agent-port") == "8888", p["metadata"]
        assert "agentsandbox.io/agent-port" not in (plain[0]["metadata"].get("annotations") or {})
        print(f"PROOF pod {name}: command {p['spec']['containers'][0]['command']}, init {[c['name'] for c in p['spec']['initContainers']]}, IP {ip}")
        secret = hmac.new(key, f"{NS}/{name}".encode(), hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection(ip, 8888, timeout=10)

        def call(method, path, body=None, auth=True):
            h = {"Content-Type": "application/json"}
            if auth: h["Authorization"] = "Bearer " + secret
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse(); return r.status, r.read()

        st, b = call("GET", "/healthz", auth=False); print("PROOF GET /healthz (no secret):", st, b.decode().strip()); assert st == 200
        st, b = call("POST", "/v1/exec", json.dumps({"command": ["true"]}), auth=False); print("PROOF POST /v1/exec without the secret:", st); assert st == 401
        conn.request("POST", "/v1/exec", body='{"command":["true"]}', headers={"Authorization": "Bearer wrong", "Content-Type": "application/json"})
        r = conn.getresponse(); r.read(); print("PROOF POST /v1/exec with a wrong secret:", r.status); assert r.status == 401
        st, b = call("POST", "/v1/exec", json.dumps({"command": ["sh", "-c", "cat /proc/version; ps -o pid,ppid,args; env | grep -c AGENT_SANDBOX_SECRET"]}))
        out = json.loads(b); print("PROOF POST /v1/exec with the secret:", st, "exit", out["exitCode"]); print(out["stdout"]); assert st == 200
        assert "sleep 2147483647" in out["stdout"] and out["stdout"].startswith("Linux version 4.4.0")
        st, b = call("POST", "/execute", json.dumps({"command": "echo hi from upstream api"})); print("PROOF POST /execute:", st, b.decode().strip())

        # exec round trip of `true`: agent over TCP (one keep-alive connection)
        for _ in range(10): call("POST", "/v1/exec", '{"command":["true"]}')
        agent = []
        for _ in range(CALLS):
            t = time.perf_counter(); st, b = call("POST", "/v1/exec", '{"command":["true"]}'); agent.append((time.perf_counter() - t) * 1000)
            assert st == 200 and json.loads(b)["exitCode"] == 0
        # the previous path: the server's POST /v1/sandboxes/{id}/exec on an opted-out pod (pods/exec)
        sc = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sc.request("POST", "/v1/claims", body=json.dumps({"pool": f"{NS}/plain", "waitMs": 30000}), headers={"Content-Type": "application/json"})
        r = sc.getresponse(); claim = json.loads(r.read()); assert r.status == 201, claim
        sbx, tok = claim["sandbox"]["name"], claim["token"]
        podexec = []
        for i in range(CALLS + 5):
            t = time.perf_counter()
            sc.request("POST", f"/v1/sandboxes/{sbx}/exec", body='{"command":["true"],"timeoutMs":20000}', headers={"Content-Type": "application/json", "Authorization": "Bearer " + tok})
            r = sc.getresponse(); body = r.read(); dt = (time.perf_counter() - t) * 1000
            assert r.status == 200 and json.loads(body)["exitCode"] == 0, body
            if i >= 5: podexec.append(dt)
        kube = []
        kcalls = min(CALLS, 50)
        for _ in range(kcalls):
            t = time.perf_counter(); k("-n", NS, "exec", plain[1]["metadata"]["name"], "--", "true"); kube.append((time.perf_counter() - t) * 1000)
        for label, xs in (("agent over TCP (host -> podIP:8888, keep-alive)", agent),
                          ("server POST /v1/sandboxes/{id}/exec -> pods/exec", podexec),
                          ("kubectl exec (process per call)", kube)):
            print(f"MEASURE exec true, {label}: n={len(xs)} p50 {pct(xs, 50):.2f} ms p99 {pct(xs, 99):.2f} ms mean {statistics.mean(xs):.2f} ms")
        # PSS per idle warm pod
        time.sleep(3)
        w = [pod_pss_kb(x["metadata"]["uid"]) / 1024 for x in withagent[:2]]
        pl = [pod_pss_kb(x["metadata"]["uid"]) / 1024 for x in pods("plain")[:1] + [plain[1]]]
        print(f"MEASURE PSS per idle warm gVisor pod (kubepods cgroup processes): with agent {[round(x, 1) for x in w]} MiB, without {[round(x, 1) for x in pl]} MiB")
    finally:
        srv.terminate()
        try: srv.wait(20)
        except subprocess.TimeoutExpired: srv.kill()
        k("-n", NS, "delete", "pods", "--all", "--grace-period=0", "--force", check=False)
        k("delete", "namespace", NS, "--wait=false", check=False)
        os.remove(keyfile)


main()
