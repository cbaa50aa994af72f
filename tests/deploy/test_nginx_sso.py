"""The documented single sign-on proxy works: nginx in front of gunicorn passes the user it authenticated.

deploy/nginx/oauth2-proxy.conf is the snippet the docs give. Here it is checked by ``nginx -t`` as written, and its
``location /`` block is run for real with nginx's own basic auth standing in for oauth2-proxy (the app cannot tell
them apart: both end in ``X-Forwarded-User`` / ``X-Forwarded-Groups`` set by nginx).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import pytest
import requests

from tests.services import ROOT, free_port, start_server, stop

SNIPPET = ROOT / "deploy" / "nginx" / "oauth2-proxy.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed; `make test` as root installs it")


def _nginx_conf(folder, server_block: str) -> str:
    """A whole nginx.conf around ``server_block``, every path inside ``folder``, one foreground process."""
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    return (f"daemon off; master_process off; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'} info;\n"
            "events { worker_connections 64; }\n"
            f"http {{ access_log {folder / 'access.log'};\n"
            + "".join(f"{name}_temp_path {path};\n" if name != "body" else f"client_body_temp_path {path};\n"
                      for name, path in temp.items())
            + server_block + "\n}\n")


def _self_signed(folder) -> tuple[str, str]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


def test_the_documented_snippet_is_valid_nginx(tmp_path):
    cert, key = _self_signed(tmp_path)
    block = (SNIPPET.read_text().replace("listen 443 ssl;", f"listen 127.0.0.1:{free_port()} ssl;")
             .replace("/etc/ssl/certs/foresight.pem", cert).replace("/etc/ssl/private/foresight.key", key))
    conf = tmp_path / "nginx.conf"
    conf.write_text(_nginx_conf(tmp_path, block))
    checked = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def _basic_auth_block(port: int, app_port: int, users_file) -> str:
    """The snippet's ``location /`` with nginx basic auth (user from $remote_user, a fixed group) instead of
    oauth2-proxy's auth_request."""
    text = SNIPPET.read_text()
    location = text[text.index("    location / {"):text.rindex("}")]
    location = re.sub(r"\n\s*auth_request /oauth2/auth;\n\s*error_page 401 = /oauth2/sign_in;", "", location)
    location = location.replace("auth_request_set $sso_user   $upstream_http_x_auth_request_user;",
                                f'auth_basic "Neon Foresight"; auth_basic_user_file {users_file};\n'
                                "        set $sso_user $remote_user;")
    location = location.replace("auth_request_set $sso_groups $upstream_http_x_auth_request_groups;",
                                'set $sso_groups "staff, bi-analysts";')
    location = location.replace("http://127.0.0.1:8050", f"http://127.0.0.1:{app_port}")
    assert "auth_request" not in location and "$remote_user" in location
    return f"server {{ listen 127.0.0.1:{port}; server_name localhost;\n{location}\n}}"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """gunicorn with single sign-on from 127.0.0.1 only, and nginx (basic auth: ada / pw-ada) in front of it."""
    folder = tmp_path_factory.mktemp("sso")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_INSTANCE_DIR=str(folder), FORESIGHT_SECRET_KEY="sso-tests-only", PYTHONUNBUFFERED="1",
               FORESIGHT_TRUSTED_PROXIES="127.0.0.1/32", FORESIGHT_TRUSTED_USER_HEADER="X-Forwarded-User",
               FORESIGHT_TRUSTED_GROUPS_HEADER="X-Forwarded-Groups",
               FORESIGHT_GROUP_ROLES="bi-analysts=analyst,bi-admins=admin")
    subprocess.run([sys.executable, "-m", "data", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    app_port, proxy_port = free_port(), free_port()
    app = start_server([sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py", "--workers", "1",
                        "--bind", f"0.0.0.0:{app_port}"], "Booting worker", env)
    users = folder / "users"
    users.write_text("ada:{PLAIN}pw-ada\n")
    conf = folder / "nginx.conf"
    conf.write_text(_nginx_conf(folder, _basic_auth_block(proxy_port, app_port, users)))
    proxy = subprocess.Popen([NGINX, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(proxy_port, proxy)
        yield {"proxy": f"http://127.0.0.1:{proxy_port}", "app_port": app_port}
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
        stop(app)


def _wait_for_port(port: int, process) -> None:
    """Block until ``port`` accepts a connection (nginx logs nothing when it is ready)."""
    while process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            continue
    raise RuntimeError(f"nginx exited with {process.returncode}")


def test_a_user_authenticated_by_the_proxy_is_logged_in_with_the_role_of_their_group(proxied):
    anonymous = requests.get(f"{proxied['proxy']}/api/v1/me", timeout=30)
    assert anonymous.status_code == 401, "nginx asks for credentials first"
    me = requests.get(f"{proxied['proxy']}/api/v1/me", auth=("ada", "pw-ada"), timeout=30)
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["role"], me.json()["kind"]) == ("ada", "analyst", "sso")
    page = requests.get(f"{proxied['proxy']}/forecast", auth=("ada", "pw-ada"), timeout=30, allow_redirects=False)
    assert page.status_code == 200, "the page is served without the login form"


def test_a_client_cannot_send_the_header_itself(proxied):
    forged = {"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "bi-admins"}
    through_proxy = requests.get(f"{proxied['proxy']}/api/v1/me", auth=("ada", "pw-ada"), headers=forged, timeout=30)
    assert through_proxy.json()["username"] == "ada", "nginx overwrites the client's headers"
    # Straight to the app from an address that is not a trusted proxy (127.0.0.2 is loopback too, but not listed).
    session = requests.Session()
    session.mount("http://", _SourceAddressAdapter("127.0.0.2"))
    direct = session.get(f"http://127.0.0.1:{proxied['app_port']}/api/v1/me", headers=forged, timeout=30)
    assert direct.status_code == 401, "the header is ignored from an untrusted address"


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connect from a chosen local address."""

    def __init__(self, address: str):
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)
