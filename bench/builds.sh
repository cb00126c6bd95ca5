#!/usr/bin/env bash
# Users' builds: the cold build of a crate outside this workspace that depends on
# nx1-client, beside the same crate on a plain progenitor client for the same spec (built by
# progenitor in build.rs, as progenitor's README shows, and vendored), and on the client
# `cargo xtask generate` vendors. Each crate builds cold in its own target directory, debug
# then release; the versions are the workspace's (its Cargo.lock is the seed). Then what
# dominates nx1-client's debug build (cargo --timings), the size of the generated code, and
# the workspace's own no-op and spec-change rebuilds.
# Usage: bash bench/builds.sh    (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/bench-builds
rm -rf "$work"
mkdir -p "$work"

cargo build --release --quiet -p nx1-bench --bin nx1-bench-plain
target/release/nx1-bench-plain openapi.yaml "$work/spec"

# The client's runtime dependencies, exactly as the workspace declares them.
runtime_deps=$(python3 - <<'PY'
import re
text = open("Cargo.toml").read().split("[workspace.dependencies]")[1].split("\n[")[0]
names = ["chrono", "futures", "progenitor-client", "regress", "reqwest", "serde", "serde_json", "uuid"]
for line in text.splitlines():
    if line.split("=")[0].strip() in names:
        print(line)
PY
)
progenitor_dep=$(grep -E '^progenitor = ' Cargo.toml)
# The plain progenitor baseline stays as progenitor's README has it: reqwest's default TLS
# (rustls on aws-lc-rs), not the workspace's provider-less reqwest with ring beside it.
plain_deps=${runtime_deps//rustls-no-provider/rustls}

new_crate() { # name, [dependencies] body, main.rs body
    mkdir -p "$work/$1/src"
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2024"\npublish = false\n\n[dependencies]\n%s\n\n[workspace]\n' \
        "$1" "$2" > "$work/$1/Cargo.toml"
    cp Cargo.lock "$work/$1/Cargo.lock"
}

# 1. nx1-client as users depend on it (a path or git dependency): the committed client;
#    and with `regenerate`, generating it in the build script as the workspace does.
new_crate ours "nx1-client = { path = \"$root\" }"
echo 'fn main() { let _ = nx1_client::Client::builder().base_url("http://127.0.0.1:9").psk("x").build(); }' > "$work/ours/src/main.rs"
new_crate ours-regenerate "nx1-client = { path = \"$root\", features = [\"regenerate\"] }"
cp "$work/ours/src/main.rs" "$work/ours-regenerate/src/main.rs"

# 2. progenitor in build.rs over the adapted spec (prettyplease and syn as its README has them).
new_crate plain-build "$plain_deps"
printf '\n[build-dependencies]\n%s\nprettyplease = "0.2"\nserde_json = "1"\nsyn = "2"\n' "$progenitor_dep" >> "$work/plain-build/Cargo.toml"
cat > "$work/plain-build/build.rs" <<'RS'
fn main() {
    let src = "../spec/spec.json";
    println!("cargo:rerun-if-changed={src}");
    let file = std::fs::File::open(src).unwrap();
    let spec = serde_json::from_reader(file).unwrap();
    let mut generator = progenitor::Generator::default();
    let tokens = generator.generate_tokens(&spec).unwrap();
    let ast = syn::parse2(tokens).unwrap();
    let content = prettyplease::unparse(&ast);
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("codegen.rs");
    std::fs::write(out, content).unwrap();
}
RS
printf 'mod client {\n    #![allow(warnings)]\n    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));\n}\nfn main() { let _ = client::Client::new("http://127.0.0.1:9"); }\n' > "$work/plain-build/src/main.rs"

# 3. the same progenitor output, vendored.
new_crate plain-vendored "$plain_deps"
printf 'mod client {\n    #![allow(warnings)]\n    include!("../../spec/plain.rs");\n}\nfn main() { let _ = client::Client::new("http://127.0.0.1:9"); }\n' > "$work/plain-vendored/src/main.rs"

# 4. nx1's client, vendored by `cargo xtask generate`.
cargo xtask generate --spec openapi.yaml --out "$work/ours-vendored-lib" --name ours-vendored-lib >/dev/null
cp Cargo.lock "$work/ours-vendored-lib/Cargo.lock"
new_crate ours-vendored "ours-vendored-lib = { path = \"../ours-vendored-lib\" }"
echo 'fn main() { let _ = ours_vendored_lib::Client::new("http://127.0.0.1:9"); }' > "$work/ours-vendored/src/main.rs"

seconds() { # crate, cargo args...
    local crate=$1
    shift
    local started ended
    started=$(date +%s.%N)
    (cd "$work/$crate" && CARGO_TARGET_DIR="$work/$crate/target" cargo build --quiet "$@" 2>"$work/$crate/build.log") ||
        { cat "$work/$crate/build.log" >&2; echo "builds: $crate failed to build" >&2; exit 1; }
    ended=$(date +%s.%N)
    python3 -c "print(f'{$ended - $started:.1f}')"
}

declare -A debug release
for crate in ours ours-regenerate plain-build plain-vendored ours-vendored; do
    if [ "$crate" = ours-regenerate ]; then
        debug[$crate]=$(seconds "$crate" --timings)
    else
        debug[$crate]=$(seconds "$crate")
    fi
    release[$crate]=$(seconds "$crate" --release)
    echo "builds: $crate debug ${debug[$crate]} s, release ${release[$crate]} s" >&2
done

ratio() { python3 -c "print(f'{$1 / $2:.2f}×')"; }
echo "| outside crate depends on | cold debug build | ÷ plain progenitor (build.rs) | cold release build | ÷ plain progenitor (build.rs) |"
echo "|---|---|---|---|---|"
for crate in ours ours-regenerate plain-build plain-vendored ours-vendored; do
    echo "| $crate | ${debug[$crate]} s | $(ratio "${debug[$crate]}" "${debug[plain-build]}") | ${release[$crate]} s | $(ratio "${release[$crate]}" "${release[plain-build]}") |"
done

echo
echo "What the debug build of \`ours-regenerate\` spends its time on (cargo --timings, top 12 units):"
echo
python3 - "$work/ours-regenerate/target/cargo-timings/cargo-timing.html" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
units.sort(key=lambda unit: unit["duration"], reverse=True)
print("| unit | seconds |\n|---|---|")
for unit in units[:12]:
    target = unit.get("target", "").strip()
    print(f"| {unit['name']} {unit['version']}{target} | {unit['duration']:.1f} |")
PY

echo
client_rs=$(find "$work/ours-regenerate/target/debug/build" -name client.rs -path '*nx1-client*' | head -1)
echo "Generated code: nx1-client $(wc -l < "$client_rs") lines; plain progenitor $(wc -l < "$work/spec/plain.rs") lines."

echo
echo "The workspace's own rebuilds (cargo build --features regenerate, after a full build):"
cargo build --quiet --features regenerate
started=$(date +%s.%N); cargo build --quiet --features regenerate; ended=$(date +%s.%N)
noop=$(python3 -c "print(f'{$ended - $started:.2f}')")
ran=$(cargo build --features regenerate -v 2>&1 | grep -c 'Running .*build-script-build' || true)
touch openapi.yaml
rm -rf target/cargo-timings
started=$(date +%s.%N); cargo build --quiet --features regenerate --timings; ended=$(date +%s.%N)
touched=$(python3 -c "print(f'{$ended - $started:.2f}')")
scripts=$(python3 - target/cargo-timings/cargo-timing.html <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
runs = [u for u in units if u.get("mode") == "run-custom-build" and u["duration"] > 0.01]
print(", ".join(f"{u['name']} {u['duration']:.2f} s" for u in runs) or "none")
PY
)
echo "| rebuild | time | build scripts run |"
echo "|---|---|---|"
echo "| no-op \`cargo build\` | $noop s | $ran |"
echo "| after \`touch openapi.yaml\` | $touched s | $scripts |"
