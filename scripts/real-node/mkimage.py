#!/usr/bin/env python3
"""Writes a docker-archive (docker save format) tarball from a directory, for `ctr images import`.

usage: mkimage.py [--config JSON] ROOTFS_DIR NAME:TAG OUT.tar CMD...

One layer, files owned by root unless --config names "owners" (path prefix -> uid:gid), mtimes
zeroed (the same directory gives the same image id). --config JSON is merged into the image's
config: Entrypoint, Env (a list, replaces the default PATH), User, WorkingDir, ExposedPorts.
Used by scripts/real-node.sh (the real node has no registry; pods use imagePullPolicy: Never) and
scripts/server-image.sh (the server's image, loadable with `docker load` or `ctr images import`).
"""
import hashlib, io, json, os, sys, tarfile

args = sys.argv[1:]
extra = {}
if args and args[0] == "--config":
    extra = json.loads(args[1])
    args = args[2:]
if len(args) < 3:
    sys.exit(__doc__)
rootfs, ref, out, cmd = args[0], args[1], args[2], args[3:]
owners = extra.pop("owners", {})
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for dirpath, dirnames, filenames in os.walk(rootfs):
        dirnames.sort()
        for n in sorted(dirnames) + sorted(filenames):
            p = os.path.join(dirpath, n)
            ti = t.gettarinfo(p, arcname=os.path.relpath(p, rootfs))
            ti.uid = ti.gid = 0
            for prefix, ids in owners.items():
                if ti.name == prefix or ti.name.startswith(prefix + "/"):
                    ti.uid, ti.gid = (int(x) for x in ids.split(":"))
            ti.uname = ti.gname = ""
            ti.mtime = 0
            if ti.isreg():
                with open(p, "rb") as f:
                    t.addfile(ti, f)
            else:
                t.addfile(ti)
layer = buf.getvalue()
diff = hashlib.sha256(layer).hexdigest()
config = {"Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "WorkingDir": "/"}
if cmd:
    config["Cmd"] = cmd
config.update(extra)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": config,
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]}}, sort_keys=True).encode()
cdig = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": cdig + ".json", "RepoTags": [ref], "Layers": [diff + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    def add(name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = 0o644
        t.addfile(ti, io.BytesIO(data))
    add(diff + "/layer.tar", layer)
    add(cdig + ".json", cfg)
    add("manifest.json", man)
