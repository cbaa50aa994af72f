/*
 * The chat panel's client (components/chat.py builds the panel, pages/_chat.py its callbacks).
 *
 * - A question is POSTed to the chat API (JSON {question, conversation}) with Accept: text/event-stream, over the
 *   page's own cookie session; the SSE frames are read from the response body (fetch + ReadableStream):
 *   `parse`, `token` ({text}) shown as they arrive in a live region, `answer` (the answer JSON) handed to Dash
 *   with dash_clientside.set_props so the Python callback renders and keeps it, `error` (problem JSON).
 * - Server text is only ever set with textContent, never as HTML.
 * - Ctrl+/ (or Cmd+/) opens the panel and focuses the question box, unless another text field has the focus;
 *   Escape inside the panel closes it. Copy, read-aloud and the microphone are in assets/chat-actions.js.
 * The ids and the API path come from a clientside callback in pages/_chat.py (no inline script: CSP).
 */
(function () {
    "use strict";
    const NARROW = "(max-width: 991.98px)";
    const EDITABLE = "input, textarea, select, [contenteditable=''], [contenteditable='true']";
    const state = {config: null, conversation: null, open: null, busy: false, controller: null, handed: false,
                   observer: null};

    function byKey(key) { return state.config ? document.getElementById(state.config[key]) : null; }
    function setProps(key, props) { window.dash_clientside.set_props(state.config[key], props); }

    function say(text, kind) {
        const status = byKey("status");
        if (!status) { return; }
        status.textContent = text || "";
        status.className = "nf-chat-status" + (text && kind ? " is-" + kind : "");
    }

    function element(tag, className, text) {
        const node = document.createElement(tag);
        node.className = className;
        if (text !== undefined) { node.textContent = text; }
        return node;
    }

    function showPending(question) {
        const pending = byKey("pending");
        const asked = element("div", "nf-chat-question");
        asked.appendChild(element("p", "nf-chat-q-text", question));
        const answer = element("div", "nf-chat-answer is-pending");
        answer.appendChild(element("span", "nf-chat-typing", "Working on it…"));
        answer.appendChild(element("p", "nf-chat-text", ""));
        pending.replaceChildren(asked, answer);
        pending.setAttribute("aria-busy", "true");
        scrollDown();
    }

    function clearPending() {
        const pending = byKey("pending");
        if (pending) { pending.replaceChildren(); pending.setAttribute("aria-busy", "false"); }
    }

    function addToken(text) {
        const pending = byKey("pending");
        const target = pending && pending.querySelector(".nf-chat-text");
        if (!target) { return; }
        const typing = pending.querySelector(".nf-chat-typing");
        if (typing) { typing.remove(); }
        target.textContent += String(text);
        scrollDown();
    }

    function scrollDown() {
        const panel = byKey("panel");
        const log = panel && panel.querySelector(".nf-chat-body");
        if (log) { log.scrollTop = log.scrollHeight; }
    }

    function deliver(answer) {
        if (!answer || typeof answer.text !== "string") {
            failed("The server's answer could not be read; ask again.");
            return;
        }
        state.conversation = answer.conversation || state.conversation;
        state.handed = true;
        const pending = byKey("pending");
        if (pending) { pending.setAttribute("aria-busy", "false"); }
        setProps("answer", {data: {answer: answer, at: Date.now()}});
        if (answer.navigate && window.matchMedia(NARROW).matches) { setProps("open", {data: false}); }
    }

    function failed(message) {
        clearPending();
        say(message, "error");
    }

    function problemMessage(status, problem, retryAfter) {
        const detail = problem && (problem.detail || problem.title) ? String(problem.detail || problem.title) : "";
        if (status === 429) {
            const wait = retryAfter ? " Try again in " + retryAfter + " s." : "";
            return "Too many questions in a short time (the rate limit). " + (detail || "") + wait;
        }
        if (status === 422 || status === 400) { return "That question was refused: " + (detail || "it is not valid") + "."; }
        if (status === 401) { return "Your session has ended: reload the page and sign in again."; }
        if (status === 403) { return "The assistant is not available to you: " + (detail || "your role may not chat") + "."; }
        if (status === 404) { return "The assistant's API is not on this server (HTTP 404)."; }
        return "The assistant failed (HTTP " + status + ")" + (detail ? ": " + detail : "") + ". Ask again later.";
    }

    function refused(response) {
        return response.text().then(function (body) {
            let problem = null;
            try { problem = JSON.parse(body); } catch (error) { problem = null; }
            failed(problemMessage(response.status, problem, response.headers.get("Retry-After")));
        });
    }

    function frame(raw) {
        let event = "message";
        const data = [];
        raw.split(/\r?\n/).forEach(function (line) {
            if (!line || line.charAt(0) === ":") { return; }
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") { event = value; } else if (field === "data") { data.push(value); }
        });
        return {event: event, data: data.join("\n")};
    }

    function handle(message) {
        let payload = null;
        try { payload = message.data ? JSON.parse(message.data) : null; } catch (error) { payload = null; }
        if (message.event === "token" && payload) { addToken(payload.text || ""); }
        else if (message.event === "answer") { deliver(payload); }
        else if (message.event === "error") { failed(problemMessage((payload && payload.status) || 500, payload)); }
    }

    function readStream(body) {
        const reader = body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        let ended = false;
        function pump() {
            return reader.read().then(function (chunk) {
                buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, {stream: true});
                const parts = buffer.split(/\r?\n\r?\n/);
                buffer = chunk.done ? "" : parts.pop();
                parts.forEach(function (raw) {
                    if (!raw.trim()) { return; }
                    const message = frame(raw);
                    ended = ended || message.event === "answer" || message.event === "error";
                    handle(message);
                });
                if (chunk.done) {
                    if (!ended) { failed("The answer stopped before it was complete (connection lost); ask again."); }
                    return null;
                }
                return pump();
            });
        }
        return pump();
    }

    function received(response) {
        if (!response.ok) { return refused(response); }
        const type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/event-stream") >= 0 && response.body) { return readStream(response.body); }
        return response.json().then(deliver);
    }

    function ask(text) {
        const config = state.config;
        const question = String(text || "").trim();
        if (!config) { return; }
        if (!question) { say("Type a question first (or pick a suggestion).", "error"); return; }
        if (question.length > config.max) {
            say("That question is " + question.length + " characters long; the limit is " + config.max + ".", "error");
            return;
        }
        if (state.busy) { say("Still answering the last question…", "info"); return; }
        state.busy = true;
        state.handed = false;
        state.controller = new AbortController();
        say("");
        showPending(question);
        const input = byKey("input");
        if (input) { input.value = ""; setProps("input", {value: ""}); }
        const body = {question: question};
        if (state.conversation) { body.conversation = state.conversation; }
        fetch(config.api, {
            method: "POST", credentials: "same-origin", signal: state.controller.signal,
            headers: {"Content-Type": "application/json", "Accept": "text/event-stream"},
            body: JSON.stringify(body)
        }).then(received).catch(function (error) {
            if (error && error.name === "AbortError") { clearPending(); return; }
            failed("Cannot reach the server (network error): check the connection and ask again.");
        }).finally(function () { state.busy = false; state.controller = null; });
    }

    function reset() {
        if (state.controller) { state.controller.abort(); }
        if (window.nfChatActions) { window.nfChatActions.stopSpeaking(); }
        state.conversation = null;
        clearPending();
        say("Conversation cleared: the next question starts a new one.", "info");
    }

    function capabilities() {
        if (window.nfChatActions) { window.nfChatActions.capabilities(byKey("panel"), byKey("mic")); }
    }

    function rendered() {
        if (state.handed) { clearPending(); state.handed = false; }
        capabilities();
        scrollDown();
    }

    function follow(open) {
        if (state.open === open) { return; }
        const first = state.open === null;
        state.open = open;
        if (first) { return; }  // a page load keeps the panel as it was, without taking the focus
        const panel = byKey("panel");
        if (open) {
            const input = byKey("input");
            if (input) { window.requestAnimationFrame(function () { input.focus(); }); }
        } else if (panel && (panel.contains(document.activeElement) || document.activeElement === document.body)) {
            const launcher = byKey("launcher");
            if (launcher) { launcher.focus(); }
        }
    }

    function sync(config, history, open) {
        state.config = config;
        state.conversation = (history && history.conversation) || null;
        const input = byKey("input");
        if (input && !input.hasAttribute("aria-keyshortcuts")) { input.setAttribute("aria-keyshortcuts", config.shortcut); }
        const messages = byKey("messages");
        if (!state.observer && messages) {
            state.observer = new MutationObserver(rendered);
            state.observer.observe(messages, {childList: true, subtree: true});
            capabilities();
        }
        follow(open);
    }

    function typingElsewhere(target) {
        return target && target.matches && target.matches(EDITABLE) && target.id !== state.config.input;
    }

    document.addEventListener("keydown", function (event) {
        const panel = byKey("panel");
        if (!panel || panel.hidden) { return; }
        if (event.key === "/" && (event.ctrlKey || event.metaKey) && !event.altKey) {
            if (typingElsewhere(event.target)) { return; }
            event.preventDefault();
            if (state.open) { byKey("input").focus(); } else { setProps("open", {data: true}); }
        } else if (event.key === "Escape" && state.open && panel.contains(event.target)) {
            event.preventDefault();
            setProps("open", {data: false});
        }
    });

    document.addEventListener("submit", function (event) {
        if (!state.config || event.target.id !== state.config.form) { return; }
        event.preventDefault();
        ask(byKey("input").value);
    }, true);

    document.addEventListener("click", function (event) {
        if (!state.config) { return; }
        const button = event.target.closest && event.target.closest("button");
        if (!button || !byKey("panel").contains(button)) { return; }
        const actions = window.nfChatActions;
        if (button.classList.contains("nf-chat-suggestion")) { ask(button.textContent); }
        else if (button.id === state.config.clear) { reset(); }
        else if (!actions) { return; }
        else if (button.classList.contains("nf-chat-copy")) { actions.copy(button, say); }
        else if (button.classList.contains("nf-chat-speak")) { actions.speak(button); }
        else if (button.id === state.config.mic) { actions.listen(button, byKey("input"), ask, say); }
    });

    window.nfChat = {sync: sync, ask: ask};
}());
