"""The one job helper every page uses for computations that take more than about a second.

``register_job(Job(...))`` wires three callbacks around a page's job panel (``components.jobs``):

* **resolve** (synchronous): answers straight from the results cache when the result for the current dataset
  version is there. Otherwise it asks for a computation and, meanwhile, keeps showing the last good result of
  the same parameters (an older dataset version), labelled as updating: stale-while-revalidate.
* **run** (background, with ``running=``, ``progress=`` and ``cancel=``): computes once however many viewers ask
  (``core.cache.compute_shared``), reporting each step with an estimate of the time left. Each request carries its
  own token, so the background job's key is unique to that viewer and that request: one viewer never consumes
  another's result, and an unread result is never handed to a later page.
* **watchdog** (clientside): a job that ends without a result (a killed process, a lost handle) becomes a visible
  message instead of a page that silently stops waiting.

A page's view callbacks read the result on screen with ``ready_result(job, ready)``. Background work that acts
rather than computes (ingesting an upload) is a ``background_action``: the only other way a page runs in the
background.

The module name starts with an underscore so Dash's page scanner skips it.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, State, callback, clientside_callback, ctx, no_update
from flask import has_request_context
from werkzeug.exceptions import HTTPException

from components import ids
from core.auth import Permission, audit, current_principal, protect_callback, require
from core.auth import input_flag, triggered_by
from components.ids import JobIds
from components.jobs import NO_RESULT_MESSAGE, job_status
from core.cache import cached_value, compute_shared, latest_cached
from core.runtime import dataset_version, job_engine
from pages._errors import failure

__all__ = ["Job", "no_data", "register_job", "resolve", "run", "progress_text", "ready_params", "ready_result",
           "background_action", "allowed", "hide_unless"]

_CATCH_UP = 3  # a job recomputes at most this many times when newer data lands while it runs
_PENDING_SECONDS = 900  # a request older than this is taken as lost, and asked again


def no_data(what: str = "data") -> str:
    """What a page says while the store has no ``what`` yet, and how to get some."""
    return (f"The store has no {what} yet. Generate the sample company with "
            "`python -m data sample --customers 20000 --seed 42` (or `make run`), then reload.")


@dataclass(frozen=True)
class Job:
    """One page's long computation.

    ``compute(engine, progress, **params)`` is an analytics loader whose results are cached per dataset version;
    ``to_params(*values)`` turns the values of ``inputs`` into its keyword parameters (ValueError for bad input);
    ``describe(params)`` names the result for people ("Units sold forecast, 30 days ahead"); ``waiting`` is what
    every chart of the page says while there is no result yet (short: it is drawn inside each chart).
    """

    ids: JobIds
    compute: Callable[..., Any]
    describe: Callable[[dict], str]
    inputs: Sequence[Input] = ()
    to_params: Callable[..., dict] = lambda *_: {}
    running: Sequence[tuple] = ()
    no_data: str = no_data()
    run_label: str = "Retrain"
    lookback: int = 5
    waiting: str = "Computing…"
    audit_action: str = audit.RETRAIN  # what the audit log calls pressing the run button


def ready_params(ready: dict | None) -> tuple[int, dict]:
    """The dataset version and parameters of the result on screen (LookupError when there is none)."""
    if not ready or "version" not in ready:
        raise LookupError("no result yet")
    return int(ready["version"]), dict(ready.get("params") or {})


def ready_result(job: Job, ready: dict | None) -> Any:
    """The job's result on screen (``ready``), from the results cache.

    Raises LookupError saying what the viewer should know: the result is being computed, or it left the cache.
    """
    if ready and ready.get("failed"):  # the computation failed unexpectedly: its error id, not "Computing…"
        raise LookupError(str(ready["failed"]))
    try:
        version, params = ready_params(ready)
    except LookupError:
        raise LookupError(job.waiting) from None
    value = cached_value(job.compute, version, **params)
    if value is None:
        raise LookupError(f"{job.describe(params)} for dataset v{version}: no longer in the results cache; "
                          f"press {job.run_label} to compute it again.")
    return value


def progress_text(done: int, total: int, message: str, elapsed: float) -> tuple[int, str]:
    """The bar's percentage and its label: the step, how far along, and the time left once it can be estimated."""
    percent = max(0, min(100, round(100 * done / total))) if total else 0
    text = f"{message} · {done} of {total}" if total else message
    if 0 < done < total and elapsed >= 2:
        left = elapsed / done * (total - done)
        text += f" · about {_duration(left)} left"
    return percent, text


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _ready(version: int, params: dict, token: str | None = None) -> dict:
    return {"version": version, "params": params, "token": token, "at": time.time()}


def _failed(exc: Exception, what: str) -> tuple[Any, str]:
    """``ready`` and the status text for a computation that failed: an unexpected error replaces the result on
    screen with its error id (the charts say it instead of waiting forever); the job's own message keeps it."""
    failed = failure(exc, what)
    ready = no_update if failed.error_id is None else {"failed": failed.short, "at": time.time()}
    return ready, failed.message


def resolve(job: Job, values: Sequence, current: int | None, refresh: bool, ready: dict | None,
            request: dict | None):
    """What the synchronous lookup returns, ``(request, ready, status)``, for the page inputs ``values`` on dataset
    version ``current`` (None: the store is empty); ``refresh`` when the run button asked for a fresh computation."""
    try:
        params = job.to_params(*values)
    except Exception as exc:  # noqa: BLE001 — a bad input says why; anything else gets an error id (and the log)
        ready, text = _failed(exc, "preparing the computation")
        return no_update, ready, job_status(f"Cannot compute: {text}")
    if current is None:
        return None, None, job_status(job.no_data)
    name = job.describe(params)
    if not refresh:
        if cached_value(job.compute, current, **params) is not None:
            return no_update, _ready(current, params), job_status(f"{name} for dataset v{current}: from the cache.")
        if _pending(request, ready, params):
            return no_update, no_update, no_update  # being computed for this viewer; it catches up when done
    stale = ready if ready and ready.get("params") == params else None
    if stale is None and not refresh:
        found = latest_cached(job.compute, current - 1, job.lookback, **params) if current > 1 else None
        stale = _ready(found[0], params) if found else None
    new_request = {"version": current, "params": params, "values": list(values), "refresh": refresh,
                   "token": uuid.uuid4().hex, "at": time.time()}
    if stale:
        text = (f"Showing {name} for dataset v{stale['version']} while "
                f"{'it is recomputed' if refresh and stale['version'] == current else f'v{current} is computed'}…")
        return new_request, stale, job_status(text, updating=True)
    return new_request, None, job_status(f"Computing the {name} for dataset v{current}…", updating=True)


def _pending(request: dict | None, ready: dict | None, params: dict) -> bool:
    """Whether this viewer already asked for these parameters and the answer has not arrived (nor given up)."""
    if not request or request.get("params") != params or time.time() - request.get("at", 0) > _PENDING_SECONDS:
        return False
    return not (ready and ready.get("at", 0) >= request.get("at", 0))


def run(job: Job, set_progress, request: dict | None):
    """The background computation asked for by ``request`` (from ``resolve``): ``(ready, status)``.

    ``set_progress((percent, label))`` receives each step.
    """
    if not request:
        return no_update, no_update
    started = time.perf_counter()
    params, version, refresh = request["params"], int(request["version"]), bool(request.get("refresh"))

    def report(done: int, total: int, message: str) -> None:
        set_progress(progress_text(done, total, message, time.perf_counter() - started))

    engine = job_engine()
    for _ in range(_CATCH_UP):
        try:
            _value, how = compute_shared(job.compute, version, engine, report=report, refresh=refresh, **params)
        except Exception as exc:  # noqa: BLE001 — the job's own messages as they are; anything else with an error id
            ready, text = _failed(exc, f"computing the {job.describe(params)}")
            return ready, job_status(f"Cannot compute the {job.describe(params)}: {text}")
        latest = dataset_version()
        if latest is None or latest.version <= version:
            break
        # Newer data landed meanwhile (the page asked nothing new while this ran): catch up before answering.
        version, refresh, params = latest.version, False, job.to_params(*request.get("values", []))
    set_progress((100, "done"))
    took = f"{time.perf_counter() - started:.0f} s"
    how = {"cache": "from the cache", "computed": f"computed in {took}",
           "shared": f"computed for another viewer, ready in {took}"}[how]
    return (_ready(version, params, request["token"]),
            job_status(f"{job.describe(params)} for dataset v{version}: {how}."))


_WATCHDOG = """
function (disabled, ready, request, cancelledAt) {
    const store = window.nfJobStarts = window.nfJobStarts || {};
    const key = dash_clientside.callback_context.outputs_list.id;
    if (disabled) { store[key] = Date.now(); return ""; }
    if (!request) { return ""; }
    if (ready && (ready.at || 0) >= (request.at || 0)) { return ""; }
    const triggered = dash_clientside.callback_context.triggered.map(t => t.prop_id);
    if (!triggered.some(p => p.endsWith(".disabled")) || !store[key]) { return dash_clientside.no_update; }
    if (cancelledAt && cancelledAt >= store[key]) { return "Cancelled: the page keeps its last result."; }
    return MESSAGE;
}
"""


def allowed(permission: Permission) -> bool:
    """Whether the caller may do ``permission`` (True outside a request: a layout built in a plain-function test
    renders in full). Only for hiding controls: the request guard is what refuses."""
    if not has_request_context():
        return True
    return (principal := current_principal()) is not None and principal.can(permission)


def refusal(permission: Permission, what: str) -> str | None:
    """None when the caller may ``permission``; otherwise why not, for the page's message area (callbacks that act
    ask again on the server: the buttons are only hidden from others)."""
    try:
        require(permission)
    except HTTPException:
        return f"only an admin may {what}; sign in with an admin account"
    return None


def acting_user() -> str:
    """The signed-in caller's username, for the audit records of what they did."""
    return current_principal().username


def hide_unless(permission: Permission, component_ids: Sequence[str], tree: Any) -> Any:
    """``tree`` with the components ``component_ids`` hidden (``display: none``, disabled) when the caller lacks
    ``permission``; they stay in the layout so the callbacks that name them keep working."""
    if allowed(permission):
        return tree
    wanted = set(component_ids)

    def walk(node: Any) -> None:
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        if isinstance(node_id := getattr(node, "id", None), str) and node_id in wanted:
            node.style = {**(getattr(node, "style", None) or {}), "display": "none"}
            if "disabled" in getattr(node, "_prop_names", ()):
                node.disabled = True
        if hasattr(node, "children"):
            walk(node.children)

    walk(tree)
    return tree


def _protect(job: Job) -> None:
    """RETRAIN (audited) for the run button's lookup, a background run asked to recompute and a cancel; viewers
    still get results computed for them on first view."""
    jid = job.ids
    protect_callback([jid.request], Permission.RETRAIN, when=triggered_by(f"{jid.run}.n_clicks"),
                     audit=job.audit_action)
    protect_callback([jid.done], Permission.RETRAIN, when=input_flag(jid.request, "refresh"))
    protect_callback([jid.cancel], Permission.RETRAIN, audit=audit.JOB_CANCEL)  # Dash's own cancel callback


def register_job(job: Job) -> None:
    """Register the resolve, run and watchdog callbacks of ``job`` (module docstring) and their permissions."""
    jid = job.ids
    _protect(job)

    @callback(Output(jid.request, "data"), Output(jid.ready, "data", allow_duplicate=True),
              Output(jid.status, "children", allow_duplicate=True),
              *job.inputs, Input(jid.run, "n_clicks"), Input(ids.DATASET_VERSION, "data"),
              State(jid.ready, "data"), State(jid.request, "data"), prevent_initial_call="initial_duplicate")
    def resolve_job(*values):
        """Answer from the results cache, or ask for a computation while showing the last good result."""
        *inputs, _clicks, _known, ready, request = values
        version = dataset_version()
        return resolve(job, inputs, version.version if version else None, ctx.triggered_id == jid.run, ready,
                       request)

    # The job's result reaches ``ready`` through a relay: were the background callback an output of ``ready``
    # itself, Dash would hold every callback reading ``ready`` until the job ended, so the stale result and
    # the "computing…" messages would never be drawn.
    @callback(Output(jid.done, "data"), Output(jid.status, "children"), Input(jid.request, "data"),
              background=True, prevent_initial_call=True,
              running=[(Output(jid.run, "disabled"), True, False), (Output(jid.cancel, "disabled"), False, True),
                       (Output(jid.cancel, "style"), {}, {"display": "none"}), *job.running],
              progress=[Output(jid.progress, "value"), Output(jid.progress_text, "children")],
              cancel=[Input(jid.cancel, "n_clicks")])
    def run_job(set_progress, request):
        """Compute in the background, once for every viewer, reporting each step and the time left."""
        return run(job, set_progress, request)

    clientside_callback("function (done) { return done || dash_clientside.no_update; }",
                        Output(jid.ready, "data", allow_duplicate=True), Input(jid.done, "data"),
                        prevent_initial_call=True)
    message = NO_RESULT_MESSAGE.format(run=job.run_label)
    clientside_callback(_WATCHDOG.replace("MESSAGE", repr(message)), Output(jid.error, "children"),
                        Input(jid.run, "disabled"), Input(jid.ready, "data"), State(jid.request, "data"),
                        State(jid.cancel, "n_clicks_timestamp"))


def background_action(*dependencies, trigger: str, running: Sequence[tuple] = (), **options):
    """``dash.callback`` for background work that acts rather than computes (ingesting an upload): it runs in the
    background callback manager with its ``trigger`` button disabled meanwhile, and starts only on a click.

    Computations whose results are cached per dataset version go through ``register_job`` instead.
    """
    return callback(*dependencies, background=True, prevent_initial_call=True,
                    running=[(Output(trigger, "disabled"), True, False), *running], **options)
