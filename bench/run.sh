#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, in one run, into target/bench-report.md (and stdout).
# About 35 minutes on 2 cores; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup.sh
jar=$(target/bench-venv/bin/python -c \
    "import openapi_generator_cli, os; print(os.path.join(os.path.dirname(openapi_generator_cli.__file__), 'openapi-generator.jar'))")
report=target/bench-report.md
{
    echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
    echo
    echo "## Server, in process"
    cargo bench --quiet -p nx1-bench --bench server 2>/dev/null
    echo "## Server, loopback"
    bash bench/load.sh
    echo
    echo "## Codegen and drift diff"
    NX1_OPENAPI_GENERATOR_JAR=$jar cargo bench --quiet -p nx1-bench --bench pipeline 2>/dev/null
    echo
    echo "## Drift crawl"
    cargo bench --quiet -p nx1-bench --bench crawl 2>/dev/null
    echo
    echo "## Users' builds"
    bash bench/builds.sh
} | tee "$report"
echo "run: the report is in $report" >&2
