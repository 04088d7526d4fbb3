#!/usr/bin/env python3
"""Writes a docker-archive (docker save format) tarball from a directory, for `ctr images import`.

usage: mkimage.py ROOTFS_DIR NAME:TAG OUT.tar CMD...

One layer, files owned by root, mtimes zeroed (the same directory gives the same image id).
Used by scripts/real-node.sh: the real node has no registry; pods use imagePullPolicy: Never.
"""
import hashlib, io, json, os, sys, tarfile

rootfs, ref, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for dirpath, dirnames, filenames in os.walk(rootfs):
        dirnames.sort()
        for n in sorted(dirnames) + sorted(filenames):
            p = os.path.join(dirpath, n)
            ti = t.gettarinfo(p, arcname=os.path.relpath(p, rootfs))
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            ti.mtime = 0
            if ti.isreg():
                with open(p, "rb") as f:
                    t.addfile(ti, f)
            else:
                t.addfile(ti)
layer = buf.getvalue()
diff = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "config": {"Cmd": cmd, "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "WorkingDir": "/"},
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
