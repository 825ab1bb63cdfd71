#!/usr/bin/env python3
"""Instruction counts per request of keyhole, under callgrind.

Wall-clock CPU per request on a shared VM moves by a third between minutes;
instruction counts repeat to within about 1 %, whatever else runs. This
starts the release simulator and keyhole (under `valgrind --tool=callgrind`)
on loopback ports, signs in once, warms up, zeroes the counters, sends N
sequential keep-alive requests of one kind, dumps, and prints keyhole's
instructions per request (every thread: tokio's workers, the SQLite
checkpointer, ...). Not part of `cargo xtask test` or `bench`; see
BENCHMARKS.md ("Where the time goes").

    cargo build --release -p keyhole -p provider-sim
    python3 bench/callgrind.py [--store memory|sqlite|redis] [--requests N]
        [--kind me|balance|healthz|login] [--keep DIR]

`--keep DIR` keeps the callgrind files for `callgrind_annotate`.
Needs valgrind (Debian package) and, for `--store redis`, redis-server.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
# The simulator's dev credentials (provider-sim/src/dev.rs): loopback only.
CLIENT_ID = "keyhole-dev-aihubmix"
SECRET_ENV = {"KEYHOLE_AIHUBMIX_CLIENT_SECRET": "sim-secret-aihubmix"}
WARMUP = 200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"process exited early ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"port {port} never opened")


def get(conn, path, cookie=None):
    headers = {"cookie": cookie} if cookie else {}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response


def cookie_of(response, name):
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0]
    return None


def login(port):
    """A complete login, redirects followed by hand; the session cookie."""
    kh = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = get(kh, "/api/auth/aihubmix/login?mode=redirect&return_to=/")
    assert start.status == 302, start.status
    binding = cookie_of(start, "keyhole_login")
    authorize = urllib.parse.urlsplit(start.getheader("location"))
    sim = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=30)
    approved = get(sim, authorize.path + "?" + authorize.query)
    assert 300 <= approved.status < 400, approved.status
    callback = urllib.parse.urlsplit(approved.getheader("location"))
    done = get(kh, callback.path + "?" + callback.query, binding)
    assert 300 <= done.status < 400, done.status
    session = cookie_of(done, "keyhole_session")
    assert session, "no session cookie"
    return session


def config(port, sim_url, store):
    return f"""public_url = "http://127.0.0.1:{port}"
bind = "127.0.0.1:{port}"

[session]
store = "{store}"

[limits]
logins_per_minute = 100000000
logins_per_browser = 100000000
calls_per_minute = 100000000

[[providers]]
id = "aihubmix"
kind = "aihubmix"
name = "AIHubMix"
client_id = "{CLIENT_ID}"
base_url = "{sim_url}/aihubmix"
scopes = ["profile", "balance"]
auto_authorize = true
"""


def totals(path):
    """The instruction total of one callgrind dump."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    sys.exit(f"no totals in {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="memory", choices=["memory", "sqlite", "redis"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--kind", default="me", choices=["me", "balance", "healthz", "login"])
    parser.add_argument("--keep")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="keyhole-callgrind-")
    procs = []
    try:
        sim_port, port = free_port(), free_port()
        sim = subprocess.Popen(
            [os.path.join(RELEASE, "keyhole-sim"), "--port", str(sim_port),
             "--app-url", f"http://127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "warn"})
        procs.append(sim)
        store = {"memory": "memory", "sqlite": f"sqlite://{work}/keyhole.db"}.get(args.store)
        env = {**os.environ, **SECRET_ENV, "RUST_LOG": "info"}
        if args.store == "redis":
            redis_port = free_port()
            procs.append(subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
            store = f"redis://127.0.0.1:{redis_port}/0"
            env["KEYHOLE_SESSION_KEY"] = "a2V5aG9sZS1iZW5jaC1rZXktMzItYnl0ZXMtbG9uZyE="
        wait_port(sim_port, sim)
        path = os.path.join(work, "keyhole.toml")
        with open(path, "w") as f:
            f.write(config(port, f"http://127.0.0.1:{sim_port}", store))
        out = os.path.join(work, "callgrind.out")
        keyhole = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             os.path.join(RELEASE, "keyhole"), "serve", "--config", path],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "keyhole.log"), "w"),
            env=env)
        procs.append(keyhole)
        wait_port(port, keyhole, 120)
        session = None if args.kind in ("healthz", "login") else login(port)
        paths = {"me": "/api/me", "balance": "/api/me/aihubmix/balance", "healthz": "/healthz"}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def one():
            if args.kind == "login":
                login(port)
                return
            response = get(conn, paths[args.kind], f"keyhole_session={session.split('=', 1)[1]}"
                           if session else None)
            assert response.status == 200, response.status

        for _ in range(WARMUP):
            one()
        subprocess.run(["callgrind_control", "-z", str(keyhole.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        for _ in range(args.requests):
            one()
        subprocess.run(["callgrind_control", "-d", str(keyhole.pid)], check=True,
                       stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        dumps = [os.path.join(work, f) for f in os.listdir(work)
                 if re.match(r"callgrind\.out(\.\d+)?(-\d+)?$", f) and f != "callgrind.out"]
        total = sum(totals(d) for d in dumps)
        print(f"{args.store} {args.kind}: {total / args.requests / 1000:.1f}k instructions "
              f"per request ({args.requests} requests, {len(dumps)} dump file(s))")
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for d in dumps:
                shutil.copy(d, args.keep)
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
