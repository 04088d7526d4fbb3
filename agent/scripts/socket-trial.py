#!/usr/bin/env python3
"""Starts real sandboxes with the agent as their init and measures how the host reaches it.

For each runtime variant: sandbox start -> agent healthy over its unix socket (ms), then the exec
round trip of `true` through the agent vs. the runtime's own exec (`runsc exec` / nsenter), p50/p99.
Run as root, under the shared lock:  flock /tmp/heavy.lock agent/scripts/socket-trial.py
Every sandbox is deleted (runsc delete -force / kill) before the script exits.
"""
import argparse, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time

HOST_DIRS = ["bin", "etc", "lib", "lib32", "lib64", "libx32", "opt", "sbin", "usr"]


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("agent", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


def wait_healthy(sock, deadline_s):
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < deadline_s:
        try:
            c = UnixHTTP(sock, timeout=1)
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return None
            last = "status %d" % r.status
        except OSError as e:
            last = repr(e)
        time.sleep(0.001)
    return last or "timeout"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def summary(xs):
    return "p50 %.2f ms  p99 %.2f ms  (n=%d)" % (pct(xs, 50), pct(xs, 99), len(xs))


def agent_health_times(sock, n):
    c = UnixHTTP(sock)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        out.append((time.perf_counter() - t) * 1000)
    c.close()
    return out


def agent_exec_times(sock, n):
    c = UnixHTTP(sock)  # one keep-alive connection, like a router's pool
    body = json.dumps({"command": ["true"]})
    out = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("POST", "/v1/exec", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        out.append((time.perf_counter() - t) * 1000)
        if r.status != 200 or json.loads(data)["exitCode"] != 0:
            raise RuntimeError("exec through the agent failed: %d %s" % (r.status, data[:200]))
    c.close()
    return out


def cmd_times(cmd, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=30)
        out.append((time.perf_counter() - t) * 1000)
    return out


def rootfs_skeleton(path):
    os.makedirs(path)
    for e in sorted(os.listdir("/")):
        host = os.path.join("/", e)
        if os.path.islink(host):
            os.symlink(os.readlink(host), os.path.join(path, e))
        elif os.path.isdir(host):
            os.makedirs(os.path.join(path, e))
    os.makedirs(os.path.join(path, "workspace"), exist_ok=True)
    os.makedirs(os.path.join(path, "run/agent"), exist_ok=True)
    os.makedirs(os.path.join(path, "run/agent-bin"), exist_ok=True)


def oci_spec(rootfs, ws, run, bindir, args):
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
    ]
    for d in HOST_DIRS:
        h = "/" + d
        if os.path.isdir(h) and not os.path.islink(h):
            mounts.append({"destination": h, "type": "bind", "source": h, "options": ["rbind", "ro"]})
    mounts += [
        {"destination": "/workspace", "type": "bind", "source": ws, "options": ["rbind", "rw"]},
        {"destination": "/run/agent", "type": "bind", "source": run, "options": ["rbind", "rw"]},
        {"destination": "/run/agent-bin", "type": "bind", "source": bindir, "options": ["rbind", "ro"]},
    ]
    return {
        "ociVersion": "1.0.0",
        "process": {"terminal": False, "user": {"uid": 65534, "gid": 65534}, "args": args,
                    "env": ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace"], "cwd": "/workspace"},
        "root": {"path": rootfs, "readonly": True},
        "hostname": "trial",
        "mounts": mounts,
        "linux": {"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")]},
    }


def trial_gvisor(agent, host_uds, calls):
    base = tempfile.mkdtemp(prefix="agent-trial-gvisor-")
    os.chmod(base, 0o755)
    ws, run, bindir, state = (os.path.join(base, x) for x in ("ws", "run", "bin", "state"))
    for d in (ws, run, bindir, state):
        os.makedirs(d)
    os.chown(ws, 65534, 65534)
    os.chown(run, 65534, 65534)
    shutil.copy(agent, os.path.join(bindir, "agent-sandbox-agent"))
    rootfs_skeleton(os.path.join(base, "rootfs"))
    bundle = os.path.join(base, "bundle")
    os.makedirs(bundle)
    sock = os.path.join(run, "agent.sock")
    args = ["/run/agent-bin/agent-sandbox-agent", "--listen", "unix:/run/agent/agent.sock", "--workspace", "/workspace"]
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(oci_spec(os.path.join(base, "rootfs"), ws, run, bindir, args), f)
    # a host socket in a read-only bind mount: can a process in the sandbox connect to it?
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.bind(os.path.join(bindir, "host-probe.sock"))
    os.chmod(os.path.join(bindir, "host-probe.sock"), 0o777)
    probe.listen(1)
    probe.settimeout(15)

    def answer():
        try:
            c, _ = probe.accept()
            c.sendall(b"host-socket-reached")
            c.close()
        except OSError:
            pass
    threading.Thread(target=answer, daemon=True).start()
    cid = "agent-trial-%d" % os.getpid()
    runsc = ["runsc", "--root", state, "--network=none", "--ignore-cgroups"]
    if host_uds:
        runsc.append("--host-uds=" + host_uds)
    label = "gvisor host-uds=%s" % (host_uds or "(default none)")
    try:
        t0 = time.monotonic()
        with open(os.path.join(base, "runtime.log"), "w") as log:
            subprocess.run(runsc + ["run", "-detach", "-bundle", bundle, cid], check=True, timeout=60,
                           stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        t_run = (time.monotonic() - t0) * 1000
        why = wait_healthy(sock, 5)
        t_ready = (time.monotonic() - t0) * 1000
        exists = os.path.exists(sock)
        if why:
            # does the agent run at all? ask it from inside the sandbox
            inside = subprocess.run(runsc[:3] + ["exec", cid, "/bin/sh", "-c", "ls -la /run/agent 2>&1"],
                                    capture_output=True, text=True, timeout=30)
            print("%-34s NOT REACHABLE from the host (socket file on host: %s; last error: %s)\n%s"
                  % (label, exists, why, "    inside: " + inside.stdout.replace("\n", "\n    inside: ")))
            return False
        print("%-34s runsc run -detach %.0f ms; agent healthy over the host socket %.0f ms after start"
              % (label, t_run, t_ready))
        c = UnixHTTP(sock)
        c.request("POST", "/v1/exec", json.dumps({"command": ["python3", "-c",
                  "import socket; s=socket.socket(socket.AF_UNIX); s.settimeout(5); "
                  "s.connect('/run/agent-bin/host-probe.sock'); print(s.recv(64).decode())"]}),
                  {"Content-Type": "application/json"})
        res = json.loads(c.getresponse().read())
        c.close()
        print("    sandbox -> host socket in a read-only bind mount: %s"
              % ("CONNECTED" if "host-socket-reached" in res["stdout"] else
                 "refused (%s)" % res["stderr"].strip().splitlines()[-1:]))
        if calls:
            print("    GET /healthz (transport only): " + summary(agent_health_times(sock, calls)))
            a = agent_exec_times(sock, calls)
            print("    exec `true` via agent socket:  " + summary(a))
            r = cmd_times(runsc[:3] + ["exec", "--user", "65534:65534", cid, "true"], max(20, calls // 4))
            print("    exec `true` via runsc exec:    " + summary(r))
        return True
    finally:
        subprocess.run(["runsc", "--root", state, "delete", "-force", cid], timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe.close()
        shutil.rmtree(base, ignore_errors=True)


def trial_bwrap(agent, calls):
    base = tempfile.mkdtemp(prefix="agent-trial-bwrap-")
    os.chmod(base, 0o755)
    ws, run, bindir = (os.path.join(base, x) for x in ("ws", "run", "bin"))
    for d in (ws, run, bindir):
        os.makedirs(d)
        os.chmod(d, 0o755)
    os.chown(ws, 65534, 65534)
    os.chown(run, 65534, 65534)
    shutil.copy(agent, os.path.join(bindir, "agent-sandbox-agent"))
    sock = os.path.join(run, "agent.sock")
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           "bwrap", "--unshare-user", "--uid", "0", "--gid", "0", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--new-session", "--die-with-parent", "--as-pid-1"]
    for e in sorted(os.listdir("/")):
        h = "/" + e
        if os.path.islink(h):
            cmd += ["--symlink", os.readlink(h), h]
        elif e in HOST_DIRS and os.path.isdir(h):
            cmd += ["--ro-bind", h, h]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--bind", ws, "/workspace", "--bind", run, "/run/agent", "--ro-bind", bindir, "/run/agent-bin",
            "--remount-ro", "/", "--chdir", "/workspace", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin",
            "/run/agent-bin/agent-sandbox-agent", "--listen", "unix:/run/agent/agent.sock", "--workspace", "/workspace"]
    p = None
    try:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(base, "runtime.log"), "w"))
        why = wait_healthy(sock, 5)
        t_ready = (time.monotonic() - t0) * 1000
        if why:
            print("%-34s NOT REACHABLE: %s" % ("bwrap", why))
            return False
        print("%-34s agent healthy over the host socket %.0f ms after start (agent is PID 1: --as-pid-1)"
              % ("bwrap (bind-mounted state dir)", t_ready))
        if calls:
            print("    GET /healthz (transport only): " + summary(agent_health_times(sock, calls)))
            a = agent_exec_times(sock, calls)
            print("    exec `true` via agent socket:  " + summary(a))
            # the previous path: nsenter into the sandbox's namespaces (as LocalProvisioner does)
            init = p.pid
            kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
            if kids:
                init = int(kids[0])
            r = cmd_times(["nsenter", "-t", str(init), "-U", "-m", "-p", "-n", "-i", "-u", "-r", "--",
                           "setpriv", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "true"],
                          max(20, calls // 4))
            print("    exec `true` via nsenter:       " + summary(r))
        return True
    finally:
        if p is not None:
            p.kill()
            p.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agent", default=os.path.join(os.path.dirname(__file__), "../target/agent-sandbox-agent"))
    ap.add_argument("--calls", type=int, default=200, help="exec round trips per variant (0: reachability only)")
    ap.add_argument("--host-uds", default="none,open,create,all",
                    help="gVisor --host-uds values to try, comma-separated ('' = flag not given)")
    ap.add_argument("--runtimes", default="bwrap,gvisor")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (runsc run and setpriv need it)")
    agent = os.path.abspath(a.agent)
    if not os.access(agent, os.X_OK):
        sys.exit("no agent binary at %s: mvn -pl agent package -DskipTests" % agent)
    rts = a.runtimes.split(",")
    if "bwrap" in rts:
        trial_bwrap(agent, a.calls)
    if "gvisor" in rts:
        for v in a.host_uds.split(","):
            trial_gvisor(agent, v, a.calls)


if __name__ == "__main__":
    main()
