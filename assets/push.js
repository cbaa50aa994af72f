/*
 * The push channel's client: one EventSource on GET /api/v1/events per tab (see docs/api.md "Push events").
 *
 * - Each `dataset-version` event that differs from what the page holds is written into the app-wide dataset
 *   version store ({version, changed_at, first}) with dash_clientside.set_props; the first value a page sees has
 *   first: true, so the header says LIVE only for a version that arrived while the page was open.
 * - The server ends each stream after its bounded life with `stream-end`: reconnect promptly (with jitter).
 *   Any other drop reconnects with exponential back-off, 1 s doubling to 30 s, with jitter.
 * - Blocked channel (no event within SILENT_MS of connecting, e.g. a buffering proxy, or FAILURES_BEFORE_POLLING
 *   failed connections in a row): the slow fallback poll (a dcc.Interval) is enabled and asked for one poll now;
 *   the first event that arrives turns it off again.
 * - Each `health` event (the Health page's live snapshot, core/health/_push.py) is kept, and written into the
 *   Health page's store while that page is on screen (it registers with listenHealth; its fallback poll follows
 *   the channel's like the shell's does).
 * Started by a clientside callback in components/layout.py, which passes the ids (no inline script: CSP).
 */
(function () {
    "use strict";
    const MIN_DELAY_MS = 1000;
    const MAX_DELAY_MS = 30000;
    const SILENT_MS = 10000;
    const FAILURES_BEFORE_POLLING = 3;
    const state = {config: null, known: null, source: null, failures: 0, polling: false, planned: null,
                   timer: null, silence: null, events: 0, connects: 0, health: null, healthPage: null};

    function jittered(ms) {
        return Math.round(ms * (0.5 + Math.random() * 0.5));
    }

    function backoff(failures) {
        return jittered(Math.min(MAX_DELAY_MS, MIN_DELAY_MS * Math.pow(2, Math.max(0, failures - 1))));
    }

    function setPolling(on) {
        if (state.polling === on) { return; }
        state.polling = on;
        window.dash_clientside.set_props(state.config.poll, {disabled: !on});
        if (on) { window.dash_clientside.set_props(state.config.pollNow, {data: Date.now()}); }
        if (healthPageShown()) { window.dash_clientside.set_props(state.healthPage.poll, {disabled: !on}); }
    }

    function healthPageShown() {
        if (state.healthPage && !document.getElementById(state.healthPage.root)) { state.healthPage = null; }
        return state.healthPage !== null;
    }

    function receiveHealth(data) {
        const text = JSON.stringify(data);
        if (state.health === text) { return; }
        state.health = text;
        if (healthPageShown()) { window.dash_clientside.set_props(state.healthPage.store, {data: data}); }
    }

    function healthy() {
        state.events += 1;
        state.failures = 0;
        clearTimeout(state.silence);
        setPolling(false);
    }

    function receive(data) {
        const known = state.known;
        if (known && known.version === data.version) { return; }
        const value = {version: data.version, changed_at: data.changed_at || Date.now(), first: !known};
        state.known = value;
        window.dash_clientside.set_props(state.config.store, {data: value});
    }

    function schedule(delay) {
        clearTimeout(state.timer);
        state.timer = setTimeout(connect, delay);
    }

    function dropped(source) {
        source.close();
        clearTimeout(state.silence);
        if (state.source !== source) { return; }
        state.source = null;
        if (state.planned !== null) {  // the stream's life was over: reconnect like EventSource would
            const delay = state.planned;
            state.planned = null;
            schedule(jittered(delay));
            return;
        }
        state.failures += 1;
        if (state.failures >= FAILURES_BEFORE_POLLING) { setPolling(true); }
        schedule(backoff(state.failures));
    }

    function connect() {
        const source = new EventSource(state.config.url);
        state.source = source;
        state.connects += 1;
        clearTimeout(state.silence);
        state.silence = setTimeout(function () { setPolling(true); }, SILENT_MS);
        source.addEventListener("dataset-version", function (e) { healthy(); receive(JSON.parse(e.data)); });
        source.addEventListener("job-progress", healthy);
        source.addEventListener("health", function (e) { healthy(); receiveHealth(JSON.parse(e.data)); });
        source.addEventListener("heartbeat", healthy);
        source.addEventListener("stream-end", function (e) {
            state.planned = JSON.parse(e.data).reconnect_ms || MIN_DELAY_MS;
        });
        source.onerror = function () { dropped(source); };
    }

    window.nfPush = {
        follow: function (config, known) {
            if (known) { state.known = known; }
            if (state.config !== null) { return; }
            state.config = config;
            if (window.EventSource) { connect(); } else { setPolling(true); }
        },
        listenHealth: function (page, known) {  // returns whether the page's fallback poll stays off
            state.healthPage = page;
            if (state.health !== null && state.health !== JSON.stringify(known)) {
                window.dash_clientside.set_props(page.store, {data: JSON.parse(state.health)});
            }
            return !state.polling;
        },
        status: function () {
            return {open: state.source !== null && state.source.readyState === 1, polling: state.polling,
                    failures: state.failures, events: state.events, connects: state.connects};
        }
    };
}());
