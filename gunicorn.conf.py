"""gunicorn settings shared by `make serve`, the Procfile and the tests that serve the app as users see it.

The master resolves the deployment's shared secret key before forking (creating it once if needed),
and every worker must boot with that same key: a worker whose key differs stops the server at boot
(exit code 3), because background-job status polls would be refused by the other workers.
"""
from core.secret_key import key_fingerprint, resolve_secret_key
from core.settings import Settings

_settings = Settings.from_env()
bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
timeout = 120
# gunicorn 27 shares one control socket per home directory between servers; this one needs none.
control_socket_disable = True

_master_fingerprint = None


def on_starting(server):
    """Resolve (and create once) the shared key in the master, so every worker reads the same one."""
    global _master_fingerprint
    shared = resolve_secret_key(Settings.from_env())
    _master_fingerprint = key_fingerprint(shared.value)
    server.log.info("secret key from %s (fingerprint %s)", shared.source, _master_fingerprint)


def post_worker_init(worker):
    """Refuse to serve with a key that differs from the master's."""
    key = worker.wsgi.config.get("SECRET_KEY") or ""
    if key_fingerprint(key) != _master_fingerprint:
        raise RuntimeError(
            f"worker {worker.pid} booted with secret key {key_fingerprint(key)} but the server's is "
            f"{_master_fingerprint}; every worker must share one key: set FORESIGHT_SECRET_KEY, or let "
            "them share FORESIGHT_INSTANCE_DIR (or REDIS_URL)"
        )
