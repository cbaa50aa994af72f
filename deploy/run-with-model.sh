#!/usr/bin/env bash
# `make run`'s server: the chat assistant's language model process (python -m core.chat.llm) in the background, its
# log and pid file in the instance folder, then the web server (gunicorn); when the web server stops (Ctrl-C,
# SIGTERM, a crash) the model process is stopped too. A model process already running (its pid file) is reused.
# With FORESIGHT_CHAT_MODEL=none, or the model package missing, the model process exits at once with its reason in
# the log and the assistant answers from templates.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
INSTANCE="${FORESIGHT_INSTANCE_DIR:-instance}"
mkdir -p "$INSTANCE"
PID_FILE="$INSTANCE/chat-model.pid"
LOG="$INSTANCE/chat-model.log"
model=""
if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  echo "chat model process already running (pid $(cat "$PID_FILE"))"
else
  "$BIN/python" -m core.chat.llm >>"$LOG" 2>&1 &
  model=$!
  echo "$model" >"$PID_FILE"
  echo "chat model process started (pid $model, log $LOG)"
fi

stop_model() {
  if [ -n "$model" ]; then
    kill -TERM "$model" 2>/dev/null && wait "$model" 2>/dev/null
    rm -f "$PID_FILE"
  fi
}
trap stop_model EXIT

"$BIN/gunicorn" app:server --config gunicorn.conf.py &
web=$!
trap 'kill -TERM "$web" 2>/dev/null' INT TERM
status=0
wait "$web" || status=$?
while kill -0 "$web" 2>/dev/null; do  # a signal interrupted `wait`: let gunicorn finish its graceful stop
  wait "$web" || status=$?
done
exit "$status"
