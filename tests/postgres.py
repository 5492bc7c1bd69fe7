"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary folder, a free port.

    with running_postgres() as server:      # initdb, start, stop and delete afterwards
        url = server.new_database()         # postgresql://convlab@127.0.0.1:PORT/test_1

PostgreSQL refuses to run as root. As root (as CI runs) the server runs as the `postgres` user
that Debian's package creates (or `nobody`), from a folder made for it under /tmp; as a normal
user it runs as that user. It listens on 127.0.0.1 only, with trust authentication for the
one superuser `convlab`, and without fsync: its data lives only as long as the test session.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def postgres_bindir():
    """The folder of Debian's PostgreSQL server binaries (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user():
    """(uid, gid) to run the server as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise RuntimeError("running as root and there is no postgres or nobody user to run PostgreSQL as")


class PostgresServer:
    def __init__(self, bindir, folder, port, user):
        self.bindir, self.folder, self.port, self.user = bindir, folder, port, user
        self.proc = None
        self._databases = 0

    def _run(self, *args, **kwargs):
        extra = {"user": self.user[0], "group": self.user[1], "extra_groups": []} if self.user else {}
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], cwd=self.folder, capture_output=True,
                              text=True, **extra, **kwargs)

    def start(self):
        data = self.folder / "data"
        done = self._run("initdb", "-D", str(data), "-U", "convlab", "--auth=trust", "-E", "UTF8",
                         "--locale=C", "--no-sync", timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        extra = {"user": self.user[0], "group": self.user[1], "extra_groups": []} if self.user else {}
        log = open(self.folder / "server.log", "w")
        if self.user:
            os.chown(self.folder / "server.log", *self.user)
        self.proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(self.port),
             "-k", str(self.folder), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"],
            cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, **extra)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                log = (self.folder / "server.log").read_text()[-3000:]
                raise RuntimeError(f"PostgreSQL exited while starting:\n{log}")
            ready = self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-U", "convlab", timeout=10)
            if ready.returncode == 0:
                return self
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not accept connections within 60 s")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: fast shutdown, clients are disconnected
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def url(self, database="postgres"):
        return f"postgresql://convlab@127.0.0.1:{self.port}/{database}"

    def new_database(self):
        """An empty database of its own for one test; returns its URL."""
        self._databases += 1
        name = f"test_{self._databases}"
        done = self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "convlab", name, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"createdb failed: {done.stderr}")
        return self.url(name)


@contextmanager
def running_postgres():
    bindir = postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed (make test installs Debian's postgresql)")
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="convlab-pg-"))
    if user:
        os.chown(folder, *user)
    server = PostgresServer(bindir, folder, _free_port(), user)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
