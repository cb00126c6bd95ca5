#!/usr/bin/env bash
# Loopback load benchmark: builds the Rust servers (release), then runs bench/load.py
# against them and FastAPI + uvicorn.
# Usage: bash bench/load.sh [--seconds N] [--rounds N] [--connections N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup.sh
cargo build --release --quiet -p nx1-bench --bin nx1-bench-serve
python3 bench/load.py --serve target/release/nx1-bench-serve --python target/bench-venv/bin/python "$@"
