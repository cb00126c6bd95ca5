#!/usr/bin/env bash
# What the benchmarks need beyond cargo: wrk (Debian) and a virtualenv under target/ with
# FastAPI + uvicorn (the real stack) and openapi-generator (its jar ships in the PyPI
# package; Java 17 runs it). Prints nothing on success; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y wrk >/dev/null
    else
        sudo apt-get install -y wrk >/dev/null
    fi
fi
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "fastapi==0.163.2" "uvicorn[standard]==0.54.0" "openapi-generator-cli==7.26.0"
