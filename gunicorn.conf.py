"""gunicorn settings shared by `make serve`, the Procfile and the tests that serve the app as users see it.

The master resolves the deployment's shared secret key before forking (creating it once if needed),
and every worker must boot with that same key: a worker whose key differs stops the server at boot
(exit code 3), because background-job status polls would be refused by the other workers.
"""
from core.push import PushLimits
from core.secret_key import key_fingerprint, resolve_secret_key
from core.settings import settings_or_exit

_settings = settings_or_exit()  # an invalid setting stops here with its message
bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
# Threaded workers: each live-update stream (GET /api/v1/events, core/push) holds one thread for at most
# PushLimits.stream_seconds; past max_streams a worker answers 503, so _THREADS_FOR_REQUESTS threads stay free for
# pages and callbacks however many tabs are open.
_THREADS_FOR_REQUESTS = 16
worker_class = "gthread"
threads = PushLimits().max_streams + _THREADS_FOR_REQUESTS
timeout = 120
# X-Forwarded-Proto (the request came over HTTPS) counts only from FORESIGHT_TRUSTED_PROXIES, like in the app's guard;
# gunicorn's own default would trust it from 127.0.0.1, i.e. from anything on this host.
forwarded_allow_ips = ",".join(str(network) for network in _settings.access.trusted_proxies)
# gunicorn 27 shares one control socket per home directory between servers; this one needs none.
control_socket_disable = True

_master_fingerprint = None


def on_starting(server):
    """Resolve (and create once) the shared key in the master, so every worker reads the same one; give the workers
    an empty folder to share their Prometheus metrics through."""
    global _master_fingerprint
    shared = resolve_secret_key(settings_or_exit())
    _master_fingerprint = key_fingerprint(shared.value)
    server.log.info("secret key from %s (fingerprint %s)", shared.source, _master_fingerprint)
    _share_metrics(server)


def _share_metrics(server):
    """prometheus_client's multiprocess mode: each worker writes its values to files in one folder and /metrics reads
    them all. The folder is emptied here, before the workers fork (values of an earlier server would be counted
    again), and set in the environment the workers inherit (core.settings reads it as settings.health.metrics_dir)."""
    import os
    from pathlib import Path

    folder = _settings.health.metrics_dir or Path(_settings.instance_dir) / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ.update(PROMETHEUS_MULTIPROC_DIR=str(folder))
    server.log.info("Prometheus metrics of every worker shared through %s", folder)


def child_exit(server, worker):
    """A worker that ended stops counting in the gauges that only count live processes."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Refuse to serve with a key that differs from the master's; end live-update streams on a graceful stop."""
    key = worker.wsgi.config.get("SECRET_KEY") or ""
    if key_fingerprint(key) != _master_fingerprint:
        raise RuntimeError(
            f"worker {worker.pid} booted with secret key {key_fingerprint(key)} but the server's is "
            f"{_master_fingerprint}; every worker must share one key: set FORESIGHT_SECRET_KEY, or let "
            "them share FORESIGHT_INSTANCE_DIR (or REDIS_URL)"
        )
    _end_streams_on_stop(worker)


def _end_streams_on_stop(worker):
    """On SIGTERM (a deploy, a restart) this worker's live-update streams end at once with `stream-end`, so the tabs
    reconnect to a running worker instead of holding this one for up to a stream's life (longer than
    graceful_timeout)."""
    import signal
    import threading

    from core.push import broadcaster_of

    def handle_exit(sig, frame):
        worker.handle_exit(sig, frame)
        threading.Thread(target=broadcaster_of(worker.wsgi).close, daemon=True).start()  # no lock in a handler

    signal.signal(signal.SIGTERM, handle_exit)
