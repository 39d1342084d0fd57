"""A throwaway PostgreSQL cluster for the test session, from Debian's postgresql package.

Started with initdb/pg_ctl in a temporary folder on a free loopback port and removed after.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    raise RuntimeError(
        f"PostgreSQL's {name} not found: install Debian's 'postgresql' package "
        "(scripts/test.sh does this) to run the PostgreSQL half of the suite."
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres_user() -> tuple[list[str], int | None, int | None]:
    """initdb refuses root; run it as the 'postgres' system user when we are root."""
    if os.geteuid() != 0:
        return [], None, None
    user = pwd.getpwnam("postgres")
    return [], user.pw_uid, user.pw_gid


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yield a server URL (no database part) for a fresh cluster."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="winback-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    _, uid, gid = _as_postgres_user()
    if uid is not None:
        os.chown(root, uid, gid or -1)
        os.chown(sock, uid, gid or -1)

    def run(args: list[str]) -> None:
        subprocess.run(args, check=True, capture_output=True, user=uid, group=gid, cwd=str(root))

    port = _free_port()
    run([initdb, "-D", str(data), "-U", "winback", "--auth=trust", "-E", "UTF8", "--no-sync"])
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://winback@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            user=uid,
            group=gid,
            cwd=str(root),
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str) -> str:
    """Create a uniquely named database on the cluster and return its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    for attempt in range(20):
        try:
            with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)
    return f"{server_url}/{name}"
