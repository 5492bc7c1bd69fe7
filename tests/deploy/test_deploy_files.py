"""The deployment files in docs/ are ones a server accepts: nginx takes docs/deploy/nginx.conf,
and the compose file and the Dockerfile name files that exist.

(No container engine runs on the test machine, so the image itself is not built here.)
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
NGINX = "/usr/sbin/nginx"


def test_nginx_accepts_the_documented_configuration(tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("Debian's nginx is not installed (make test installs it)")
    site = (DEPLOY / "nginx.conf").read_text()
    # the compose service names resolve only inside compose: point them at this machine
    site = site.replace("app1:8501", "127.0.0.1:8501").replace("app2:8501", "127.0.0.1:8502")
    site = site.replace("listen 80;", "listen 127.0.0.1:18080;")
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                          "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log {tmp_path}/access.log; {temp} include {tmp_path}/site.conf; }}\n")
    out = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "convlab_backend" in site and "proxy_set_header Upgrade" in site  # sticky, with the websocket


def test_the_compose_file_and_the_dockerfile_name_what_exists():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert (DEPLOY / "nginx.conf").exists() and "./nginx.conf:" in compose
    assert re.search(r"context: \.\./\.\.\s", compose) and (ROOT / "Dockerfile").exists()
    assert compose.count("CONVLAB_DATABASE_URL: postgresql://") == 1 and "app2: *app" in compose
    dockerfile = (ROOT / "Dockerfile").read_text()
    for path in re.findall(r"^COPY (?:--\S+ )*(\S+) ", dockerfile, re.M):
        assert path == "." or (ROOT / path).exists(), path
    warm = re.search(r"python -m ([\w.]+)", dockerfile).group(1)
    assert (ROOT / (warm.replace(".", "/") + ".py")).exists()
    assert "USER convlab" in dockerfile and "FROM python:3.11-slim" in dockerfile
