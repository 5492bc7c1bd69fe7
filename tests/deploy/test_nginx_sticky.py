"""Past one server: two ConvLab processes behind nginx with sticky sessions, all on localhost.

Starts two real app servers on free ports and Debian's nginx (run as the test user, with its pid,
logs and temp files in a temporary folder) from tests/deploy/nginx.conf.template. Then:

- many fresh clients (each with its own cookie jar) land on both processes;
- each client stays on the process it started on, for pages, health checks and the websocket
  handshake at /_stcore/stream;
- a real browser session through nginx runs a lesson and answers a slider on either process;
- both processes keep their class in one PostgreSQL database (SQLite in WAL mode where
  PostgreSQL is not installed), and one class board sees the students of both.
"""

import base64
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

sys.path.insert(0, str(ROOT / "tests" / "loadtest"))

from browser_helpers import CHROMIUM, free_port, start_server, stop_server  # noqa: E402
from ws_loadtest import WsResults, WsSession, join_class, open_board, run_apart  # noqa: E402

NGINX = "/usr/sbin/nginx"


def render_config(prefix, listen_port, backend_a, backend_b):
    text = (HERE / "nginx.conf.template").read_text()
    for name, value in {"PREFIX": prefix, "LISTEN_PORT": listen_port,
                        "BACKEND_A": backend_a, "BACKEND_B": backend_b}.items():
        text = text.replace(f"@{name}@", str(value))
    import re
    left = re.findall(r"^[^#]*@[A-Z_]+@", text, flags=re.M)
    assert not left, f"placeholders left in the nginx config: {left}"
    path = Path(prefix) / "nginx.conf"
    path.write_text(text)
    return path


def wait_for_port(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def class_database(request, tmp_path_factory):
    """The database both app processes share: PostgreSQL, as for servers on several machines."""
    try:
        return request.getfixturevalue("postgres_server").new_database()
    except pytest.skip.Exception:
        return f"sqlite:///{tmp_path_factory.mktemp('classes')}/classes.db"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, class_database):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (make test installs Debian's nginx-light)")
    prefix = tmp_path_factory.mktemp("nginx")
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    servers = []
    nginx = None
    try:
        for port in ports:
            servers.append(start_server(port, env={"CONVLAB_DATABASE_URL": class_database}))
        listen = free_port()
        conf = render_config(prefix, listen, *ports)
        check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"nginx rejected the config:\n{check.stderr}"
        nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"),
                                  "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_for_port(listen, nginx):
            err = nginx.stderr.read().decode() if nginx.poll() is not None else ""
            raise RuntimeError(f"nginx did not start: {err}\n{(prefix / 'error.log').read_text()}")
        backends = {f"127.0.0.1:{p}" for p in ports}
        yield {"url": f"http://127.0.0.1:{listen}", "port": listen, "backends": backends, "prefix": prefix,
               "database": class_database}
    finally:
        if nginx is not None:
            nginx.terminate()
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for server in servers:
            stop_server(server)


class Client:
    """A plain HTTP client with its own cookie jar, like one browser."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as r:
            r.read()
            return r.status, r.headers.get("X-ConvLab-Backend")

    def cookie(self):
        return {c.name: c.value for c in self.jar}.get("convlab_backend")


def websocket_handshake(port, cookie):
    """Open Streamlit's websocket through nginx; returns the status line and headers."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{port}\r\n"
        f"Cookie: convlab_backend={cookie}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return head[0], headers


def test_sessions_land_on_both_processes_and_stay_where_they_started(cluster):
    seen = {}
    clients = []
    # Each new client is placed at random; 64 clients all on one side would happen once in 2**63.
    for _ in range(64):
        client = Client(cluster["url"])
        status, backend = client.get("/")
        assert status == 200 and backend in cluster["backends"], (status, backend)
        assert client.cookie(), "nginx set no convlab_backend cookie"
        clients.append((client, backend))
        seen[backend] = seen.get(backend, 0) + 1
        if len(seen) == 2 and len(clients) >= 8:
            break
    assert set(seen) == cluster["backends"], f"sessions landed only on {seen}"

    for client, started in clients:
        for path in ("/", "/_stcore/health", "/stride_padding", "/"):
            status, backend = client.get(path)
            assert status == 200
            assert backend == started, f"a session moved from {started} to {backend} on {path}"
        line, headers = websocket_handshake(cluster["port"], client.cookie())
        assert " 101 " in line + " ", f"the websocket was refused through nginx: {line}"
        if "x-convlab-backend" in headers:
            assert headers["x-convlab-backend"] == started


BROWSER_CHILD = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from browser_helpers import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    url, cookies = sys.argv[2], json.loads(sys.argv[3])
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for cookie in cookies:
            ctx = browser.new_context()
            ctx.add_cookies([{"name": "convlab_backend", "value": cookie, "url": url}])
            page = ctx.new_page()
            backends = set()
            page.on("response", lambda r: backends.add(r.headers.get("x-convlab-backend")))
            page.goto(url)
            page.wait_for_selector("h1", timeout=60_000)
            page.goto(url + "/stride_padding")
            page.wait_for_selector("[data-testid='stMetricValue']", timeout=60_000)
            before = page.locator("[data-testid='stMetricValue']").first.inner_text()
            page.locator("[data-testid='stSlider'] input[type='range']").first.press("ArrowRight")
            page.wait_for_function(
                "(b) => { const m = document.querySelector('[data-testid=\\"stMetricValue\\"]');"
                " return m && m.innerText !== b; }", arg=before, timeout=60_000)
            after = page.locator("[data-testid='stMetricValue']").first.inner_text()
            errors = page.locator("[data-testid='stException']").count()
            out.append({"cookie": cookie, "before": before, "after": after, "errors": errors,
                        "backends": sorted(b for b in backends if b)})
            ctx.close()
        browser.close()
    print(json.dumps(out))
    """
)


def cookie_for_each_process(cluster):
    """{backend: cookie}: one nginx cookie that lands on each process, found with plain clients."""
    cookies = {}
    for _ in range(64):
        client = Client(cluster["url"])
        _, backend = client.get("/")
        cookies.setdefault(backend, client.cookie())
        if len(cookies) == 2:
            break
    assert set(cookies) == cluster["backends"]
    return cookies


def test_a_browser_session_works_through_nginx_on_each_process(cluster):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    cookies = cookie_for_each_process(cluster)
    # A child process: Playwright's sync API cannot start twice in one test process.
    proc = subprocess.run([sys.executable, "-c", BROWSER_CHILD, str(ROOT / "tests" / "browser"),
                           cluster["url"], json.dumps(list(cookies.values()))],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sessions = json.loads(proc.stdout.strip().splitlines()[-1])
    for (expected, cookie), session in zip(cookies.items(), sessions):
        assert session["errors"] == 0, session
        assert session["after"] != session["before"], "the slider did not update the page"
        assert session["backends"] == [expected], f"a browser session was served by {session['backends']}"


def test_one_class_board_sees_the_students_of_both_processes(cluster):
    from pages.server import classroom
    from pages.server.board import load_board
    from pages.server.store import Store

    store = Store(cluster["database"])
    made = classroom.create_class(store, "Two servers")
    cookies = cookie_for_each_process(cluster)
    res = WsResults()

    async def class_on_both():
        students = []
        for cookie, (name, page) in zip(cookies.values(), [("Ana", "pooling"), ("Ben", "conv1d")]):
            s = WsSession(cluster["port"], name, res, timeout=60, headers={"Cookie": f"convlab_backend={cookie}"})
            await join_class(s, (made.code, name))
            await s.navigate(page)
            students.append(s)
        boards = []
        for cookie in cookies.values():  # the teacher's board on either process
            teacher = WsSession(cluster["port"], "teacher", res, timeout=60,
                                headers={"Cookie": f"convlab_backend={cookie}"})
            boards.append((await open_board(teacher, made.code, made.key)).metrics)
            await teacher.close()
        for s in students:
            await s.close()
        return boards

    boards = run_apart(class_on_both())
    assert not res.errors, res.errors
    for metrics in boards:
        assert (metrics["Students"], metrics["Here now"]) == ("2 of 100", "2"), metrics
    board = load_board(store, made.id, time.time())
    assert {(s.name, s.page) for s in board.present} == {("Ana", "pooling"), ("Ben", "conv1d")}
    store.engine.dispose()
