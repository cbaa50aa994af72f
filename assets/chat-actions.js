/*
 * The chat panel's per-answer and voice actions, used by assets/chat.js (window.nfChatActions):
 * - copy: the answer's text to the clipboard (navigator.clipboard, or a hidden textarea and execCommand);
 * - speak: read the answer aloud with the browser's speech synthesis (a second press stops it);
 * - listen: the browser's own speech recognition fills the question box and asks it (Chrome's sends the audio to
 *   Google: the button's title says so). No speech model installs from the package registries here, so nothing
 *   is transcribed on the server;
 * - capabilities: buttons the browser cannot back are disabled, with a title saying why.
 * ``say(text, kind)`` writes a status line in the panel (textContent only).
 */
(function () {
    "use strict";
    const state = {recognizer: null, speaking: null};
    const MIC_ERRORS = {
        "not-allowed": "The microphone was not allowed: allow it in the browser's site settings, or type.",
        "service-not-allowed": "The browser's speech service is not allowed here; type the question instead.",
        "network": "The browser's speech service could not be reached (Chrome's sends audio to Google); type instead.",
        "no-speech": "No speech was heard; press the microphone and speak again.",
        "audio-capture": "No microphone was found; type the question instead."
    };

    function recognitionClass() { return window.SpeechRecognition || window.webkitSpeechRecognition || null; }
    function canSpeak() { return "speechSynthesis" in window && "SpeechSynthesisUtterance" in window; }

    function answerText(button) {
        const article = button.closest(".nf-chat-answer");
        const text = article && article.querySelector(".nf-chat-text");
        return text ? text.textContent : "";
    }

    function copyFallback(text, say) {
        const area = document.createElement("textarea");
        area.className = "nf-chat-copy-area";
        area.value = text;
        area.setAttribute("readonly", "");
        document.body.appendChild(area);
        area.select();
        const done = document.execCommand && document.execCommand("copy");
        area.remove();
        say(done ? "Copied the answer." : "Copying is blocked here: select the answer's text and copy it.",
            done ? "info" : "error");
    }

    function copy(button, say) {
        const text = answerText(button);
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(text).then(function () { say("Copied the answer.", "info"); },
                                                     function () { copyFallback(text, say); });
        } else {
            copyFallback(text, say);
        }
    }

    function stopSpeaking() {
        if (canSpeak()) { window.speechSynthesis.cancel(); }
        state.speaking = null;
    }

    function speak(button) {
        if (!canSpeak()) { return; }
        const again = state.speaking === button && window.speechSynthesis.speaking;
        stopSpeaking();
        if (again) { return; }
        const utterance = new window.SpeechSynthesisUtterance(answerText(button));
        utterance.lang = document.documentElement.lang || "en";
        state.speaking = button;
        window.speechSynthesis.speak(utterance);
    }

    function listen(button, input, ask, say) {
        const Recognition = recognitionClass();
        if (!Recognition) { return; }
        if (state.recognizer) { state.recognizer.stop(); return; }
        const recognizer = new Recognition();
        recognizer.lang = document.documentElement.lang || "en";
        recognizer.interimResults = true;
        recognizer.onresult = function (event) {
            const result = event.results[event.results.length - 1];
            if (input) { input.value = result[0].transcript; }
            if (result.isFinal) { recognizer.stop(); ask(result[0].transcript); }
        };
        recognizer.onerror = function (event) {
            say(MIC_ERRORS[event.error] || "Voice input failed: " + event.error, "error");
        };
        recognizer.onend = function () {
            state.recognizer = null;
            button.setAttribute("aria-pressed", "false");
            button.classList.remove("is-listening");
        };
        state.recognizer = recognizer;
        button.setAttribute("aria-pressed", "true");
        button.classList.add("is-listening");
        say("Listening… (your browser's speech recognition)", "info");
        recognizer.start();
    }

    function disable(button, title) {
        if (!button || button.disabled) { return; }
        button.disabled = true;
        button.title = title;
        button.setAttribute("aria-label", title);
    }

    function capabilities(panel, mic) {
        if (!recognitionClass()) {
            disable(mic, "Voice input is not available: this browser has no speech recognition "
                + "(and no speech model is installed on the server); type the question instead");
        }
        if (!canSpeak() && panel) {
            panel.querySelectorAll(".nf-chat-speak").forEach(function (button) {
                disable(button, "Read aloud is not available: this browser has no speech synthesis");
            });
        }
    }

    window.nfChatActions = {copy: copy, speak: speak, stopSpeaking: stopSpeaking, listen: listen,
                            capabilities: capabilities};
}());
