"""Loopback load: the generated router, the hand-written axum service and FastAPI + uvicorn
serving the same two operations, each scenario driven by wrk (16 connections) in rounds
that alternate the two Rust servers, medians reported. Run by bench/load.sh, which builds
and installs what this needs; prints the Markdown tables of BENCHMARKS.md."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PSK = "bench-psk"
JOB = "6f1c1c8e-8f44-4b4e-9a53-3b1f4f0c2a10"


def ids(count):
    return "&".join(f"ids=00000000-0000-0000-0000-{n + 1:012x}" for n in range(count))


SCENARIOS = [
    ("two valid ids", "GET", f"/api/automl/train/jobs/status?{ids(2)}", True, None, 200),
    ("100 valid ids", "GET", f"/api/automl/train/jobs/status?{ids(100)}", True, None, 200),
    ("one invalid id (422)", "GET", "/api/automl/train/jobs/status?ids=nope", True, None, 422),
    ("no credentials (401)", "GET", f"/api/automl/train/jobs/status?{ids(2)}", False, None, 401),
    ("JSON body (status writeback)", "PUT", f"/api/automl/train/jobs/{JOB}/status", True,
     '{"status": "running"}', 200),
]


def lua(method, path, psk, body):
    lines = [f'wrk.method = "{method}"', f'wrk.path = "{path}"']
    if psk:
        lines.append(f'wrk.headers["authorization-psk"] = "{PSK}"')
    if body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append("wrk.body = '" + body + "'")
    return "\n".join(lines) + "\n"


def check(base, method, path, psk, body, expected):
    request = urllib.request.Request(base + path, method=method,
                                     data=body.encode() if body else None)
    if psk:
        request.add_header("authorization-psk", PSK)
    if body:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    if status != expected:
        sys.exit(f"load: {base}{path} answered {status}, expected {expected}; not measuring")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(base, script, seconds, connections):
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
        check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percentile, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        latency[percentile] = float(value) * UNITS[unit]
    errors = re.search(r"Socket errors: (.*)", output)
    if errors:
        sys.exit(f"load: wrk saw socket errors against {base}: {errors.group(1)}")
    return rps, latency["50"], latency["99"]


def wait_until_up(base, process):
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"load: the server for {base} exited with {process.returncode}")
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"load: nothing answered at {base} within 60 s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", required=True, help="the nx1-bench-serve binary")
    parser.add_argument("--python", required=True, help="the virtualenv's python, for uvicorn")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    args.serve, args.python = os.path.abspath(args.serve), os.path.abspath(args.python)
    here = os.path.dirname(os.path.abspath(__file__))
    servers = {
        "generated": ([args.serve, "generated", "127.0.0.1:18081"], "http://127.0.0.1:18081"),
        "hand-written": ([args.serve, "hand-written", "127.0.0.1:18082"], "http://127.0.0.1:18082"),
        "layers": ([args.serve, "hand-written-layers", "127.0.0.1:18084"], "http://127.0.0.1:18084"),
        "fastapi": ([args.python, "-m", "uvicorn", "app:app", "--port", "18083", "--log-level",
                     "warning", "--no-access-log"], "http://127.0.0.1:18083"),
    }
    processes = []
    try:
        for name, (command, base) in servers.items():
            cwd = os.path.join(here, "fastapi") if name == "fastapi" else None
            process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
            processes.append(process)
            wait_until_up(base, process)
        rows = []
        with tempfile.TemporaryDirectory() as scripts:
            for index, (name, method, path, psk, body, expected) in enumerate(SCENARIOS):
                script = os.path.join(scripts, f"{index}.lua")
                with open(script, "w") as file:
                    file.write(lua(method, path, psk, body))
                for _, base in servers.values():
                    check(base, method, path, psk, body, expected)
                runs = {"generated": [], "hand-written": [], "layers": []}
                for round_ in range(args.rounds):
                    # Every other round in reverse, so that neither side always runs first.
                    sides = list(runs) if round_ % 2 == 0 else list(reversed(runs))
                    for side in sides:
                        runs[side].append(wrk(servers[side][1], script, args.seconds,
                                              args.connections))
                fastapi = wrk(servers["fastapi"][1], script, args.seconds, args.connections)
                median = {side: tuple(statistics.median(run[i] for run in results)
                                      for i in range(3))
                          for side, results in runs.items()}
                # A ratio per round, of runs seconds apart, then their median: the machine's
                # speed drifts over a run, and a ratio of medians taken minutes apart
                # carries that drift.
                ratio = {side: statistics.median(
                    mine[0] / theirs[0]
                    for mine, theirs in zip(runs["generated"], runs[side]))
                    for side in ("hand-written", "layers")}
                rows.append((name, median["generated"], median["hand-written"], median["layers"],
                             fastapi, ratio))
                print(f"load: {name} done", file=sys.stderr)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s --latency; {args.rounds} rounds "
          "alternating the three Rust servers (every other round reversed); req/s and "
          "latencies are medians, ratios the median of each round's ratio; FastAPI one "
          "run.\n")
    print("| scenario | generated req/s | hand-written req/s | ratio | hand-written + layers "
          "req/s | ratio | FastAPI req/s | generated ÷ FastAPI |")
    print("|---|---|---|---|---|---|---|---|")
    for name, generated, baseline, layers, fastapi, ratio in rows:
        print(f"| {name} | {generated[0]:,.0f} | {baseline[0]:,.0f} | "
              f"{ratio['hand-written']:.2f}× | {layers[0]:,.0f} | "
              f"{ratio['layers']:.2f}× | {fastapi[0]:,.0f} | "
              f"{generated[0] / fastapi[0]:.1f}× |")
    print("\n| scenario | generated p50 / p99 | hand-written p50 / p99 | "
          "hand-written + layers p50 / p99 | FastAPI p50 / p99 |")
    print("|---|---|---|---|---|")
    for name, generated, baseline, layers, fastapi, _ in rows:
        cells = " | ".join(f"{side[1]:.2f} / {side[2]:.2f} ms"
                           for side in (generated, baseline, layers, fastapi))
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
