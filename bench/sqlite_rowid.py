#!/usr/bin/env python3
"""SQLite with and without `WITHOUT ROWID`, on the session store's write pattern.

Keyhole's tables have text primary keys, so each is two B-trees (the rowid
table and the key's index); `WITHOUT ROWID` makes it one. Whether that pays
depends on row size (SQLite's guidance: rows well under a twentieth of a
page), and a login's rows are 175–1,200 bytes of sealed text. This replays a
login's writes — a pending login put and taken, then a session and its
connection in one transaction — with rows of the sizes the real store holds
(see BENCHMARKS.md), in WAL mode with `synchronous = NORMAL` as the store
runs, and prints logins/s, CPU per login and bytes per session for both
layouts, twice each, alternating. Python's own overhead is the same on both
sides, and falls in user time only: the kernel time is SQLite's file work
(WAL frames written, locks taken) and nothing else. Not part of `cargo xtask test` or `bench`.

    python3 bench/sqlite_rowid.py [--logins N] [--prefill N] [--layout rowid|without|both]
        [--pragma 'cache_size=-65536' ...]

`--prefill N` first writes N sessions (untimed), to see what a large store
costs a login; `--pragma` applies a setting for the timed part.
"""

import argparse
import os
import resource
import secrets
import sqlite3
import tempfile
import time

# Sealed-value lengths of an AIHubMix sign-in, as stored (base64 text).
META, GRANT, STATE, PENDING = 175, 636, 523, 400


def run(directory, without_rowid, logins, prefill, pragmas):
    path = os.path.join(directory, f"rowid-{without_rowid}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    layout = " WITHOUT ROWID" if without_rowid else ""
    db.executescript(f"""
        CREATE TABLE sessions (sid TEXT PRIMARY KEY NOT NULL, meta TEXT NOT NULL,
            expires_at INTEGER NOT NULL){layout};
        CREATE INDEX sessions_expires_at ON sessions (expires_at);
        CREATE TABLE connections (
            sid TEXT NOT NULL REFERENCES sessions (sid) ON DELETE CASCADE,
            provider TEXT NOT NULL, grant_blob TEXT NOT NULL DEFAULT '',
            state_blob TEXT NOT NULL DEFAULT '', PRIMARY KEY (sid, provider)){layout};
        CREATE TABLE kv (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL,
            expires_at INTEGER NOT NULL){layout};
        CREATE INDEX kv_expires_at ON kv (expires_at);
    """)
    meta, grant, state, pending = ("x" * n for n in (META, GRANT, STATE, PENDING))
    for first in range(0, prefill, 10_000):
        db.execute("BEGIN")
        for _ in range(min(10_000, prefill - first)):
            sid = secrets.token_urlsafe(32)
            db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (sid, meta, 1))
            db.execute("INSERT INTO connections VALUES (?, ?, ?, ?)", (sid, "aihubmix", grant, state))
        db.execute("COMMIT")
    if prefill:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for pragma in pragmas:
        db.execute(f"PRAGMA {pragma}")
    files = lambda: sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
    before = files()
    start, wall = resource.getrusage(resource.RUSAGE_SELF), time.time()
    for _ in range(logins):
        key, sid = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = int(time.time() * 1000)
        db.execute("INSERT INTO kv VALUES (?, ?, ?)", (key, pending, now + 600_000))
        db.execute("DELETE FROM kv WHERE key = ? RETURNING value", (key,)).fetchall()
        db.execute("BEGIN")
        db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (sid, meta, now + 86_400_000))
        db.execute("INSERT INTO connections VALUES (?, ?, ?, ?)", (sid, "aihubmix", grant, state))
        db.execute("COMMIT")
    end, wall = resource.getrusage(resource.RUSAGE_SELF), time.time() - wall
    user = (end.ru_utime - start.ru_utime) / logins * 1e6
    kernel = (end.ru_stime - start.ru_stime) / logins * 1e6
    size = files() - before
    db.close()
    name = "WITHOUT ROWID" if without_rowid else "rowid tables "
    print(f"{name}: {logins / wall:6.0f} logins/s, CPU per login {user:5.1f} µs user "
          f"(Python's included) + {kernel:5.1f} µs kernel, {size / logins:5.0f} bytes per session")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=40_000)
    parser.add_argument("--prefill", type=int, default=0)
    parser.add_argument("--layout", choices=["rowid", "without", "both"], default="both")
    parser.add_argument("--pragma", action="append", default=[])
    args = parser.parse_args()
    layouts = {"rowid": [False], "without": [True], "both": [False, True]}[args.layout]
    with tempfile.TemporaryDirectory(prefix="keyhole-rowid-") as directory:
        for _ in range(2):
            for without_rowid in layouts:
                run(directory, without_rowid, args.logins, args.prefill, args.pragma)


if __name__ == "__main__":
    main()
