#!/usr/bin/env bash
# Take docs/screenshots/ again from a real window: Xvfb + openbox at 1366x768 and
# 1920x1080, the app maximised, each workspace in light and dark.
# Needs: apt-get install xvfb openbox (and the Qt libraries the README lists).
set -euo pipefail
cd "$(dirname "$0")/.."
folder="${1:-docs/screenshots}"
for size in 1366x768 1920x1080; do
    display=":$((90 + RANDOM % 100))"
    Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp & xvfb=$!
    sleep 1
    DISPLAY="$display" openbox & wm=$!
    sleep 1
    DISPLAY="$display" QT_QPA_PLATFORM=xcb XDG_CONFIG_HOME="$(mktemp -d)" \
        .venv/bin/python -m dlstudio.ui.screenshots "$folder" || status=$?
    kill "$wm" "$xvfb"
    wait "$wm" "$xvfb" 2>/dev/null || true
    [ "${status:-0}" -eq 0 ] || exit "$status"
done
