#!/usr/bin/env bash
# Loopback load benchmark: builds the two Rust servers (release), installs wrk (Debian) and
# FastAPI + uvicorn (a virtualenv under target/), then runs bench/load.py.
# Usage: bash bench/load.sh [--seconds N] [--rounds N] [--connections N]
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
    "fastapi==0.163.2" "uvicorn[standard]==0.54.0"
cargo build --release --quiet -p nx1-bench --bin nx1-bench-serve
python3 bench/load.py --serve target/release/nx1-bench-serve --python "$venv/bin/python" "$@"
