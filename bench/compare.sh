#!/usr/bin/env bash
# One CreateImage DryRun from a fresh process against a local simulator, three ways, in one
# hyperfine run: `ecsimg create --dry-run`, the official Python SDK (alibabacloud-ecs20140526,
# pinned as in tests/interop), and curl with an equivalent request signed beforehand (the floor);
# and `ecsimg create --dry-run` of a recipe with a delivery, whose calls are checked too.
# Then the wizard at rest (bench/wizard_idle.py): time to first frame, RSS, idle CPU.
#
#   bench/compare.sh            # RUNS=30 WARMUP=3 IDLE=10 by default
#   RUNS=100 bench/compare.sh
#
# Needs python3 (with venv), curl and hyperfine (Debian: apt-get install hyperfine); the SDK is
# installed from PyPI into a throwaway venv (BENCH_VENV=DIR keeps and reuses one). The three
# requests carry the same parameters: the recipe's, as `ecsimg preview --format json` prints
# them, plus DryRun and a fresh ClientToken. curl's request is signed by bench/presign.py in
# hyperfine's --prepare step, outside the timing, with a new nonce each run (the simulator
# refuses a nonce twice).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs="${RUNS:-30}"
warmup="${WARMUP:-3}"
idle="${IDLE:-10}"

for tool in python3 curl hyperfine; do
    command -v "$tool" >/dev/null || { echo "compare.sh needs $tool" >&2; exit 2; }
done

echo "== building ecsimg (release)"
(cd "$root" && cargo build --release --quiet --bin ecsimg)
bin="$root/target/release/ecsimg"

work="$(mktemp -d)"
sim_pid=""
cleanup() {
    if [[ -n "$sim_pid" ]] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -TERM "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

venv="${BENCH_VENV:-$work/venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "== venv with the pinned SDK ($venv)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/interop/requirements.txt"
fi

# Nothing from the real account or config: a throwaway HOME and the sandbox's documented keys.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
export XDG_STATE_HOME="$work/home/state" XDG_CACHE_HOME="$work/home/cache"
export ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIsandbox" ALIBABA_CLOUD_ACCESS_KEY_SECRET="sandbox-secret"
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$HOME"

echo "== starting the simulator"
"$bin" sim serve --listen 127.0.0.1:0 >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
line=""
for _ in $(seq 1 300); do
    line="$(head -n 1 "$work/sim.out" 2>/dev/null || true)"
    [[ -n "$line" ]] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; exit 1; }
    sleep 0.1
done
[[ "$line" == "listening on http://"* ]] || { echo "unexpected first line: '$line'" >&2; exit 1; }
host="${line#listening on http://}"

cat >"$work/recipe.toml" <<'EOF'
region = "cn-hangzhou"
[source]
snapshot_id = "s-bp1k4wd2j0qmz7h5x3cv"
[image]
name = "bench-dry-run"
EOF
"$bin" preview --recipe "$work/recipe.toml" --format json >"$work/params.json"
python3 - "$work/params.json" <<'EOF'
import json, sys
keys = sorted(json.load(open(sys.argv[1])))
# sdk_dry_run.py sets exactly these fields; a recipe that sends more would compare unequal calls.
assert keys == ["ImageName", "RegionId", "SnapshotId"], keys
EOF

# The same build with a delivery (two copies, a share, snapshot tags, a retirement): the dry run
# then also checks each delivery call that takes DryRun, at most four at a time.
cat "$work/recipe.toml" - >"$work/delivery.toml" <<'EOF'
family = "web-base"
[tags]
env = "bench"
[delivery]
copy_to = ["cn-shanghai", "cn-beijing"]
share_with = ["1234567890123457"]
tag_snapshots = true
[delivery.retire]
keep = 1
action = "deprecate"
EOF

ecsimg_cmd="$bin create --recipe $work/recipe.toml --dry-run --yes --endpoint http://$host"
delivery_cmd="$bin create --recipe $work/delivery.toml --dry-run --yes --endpoint http://$host"
sdk_cmd="$venv/bin/python $here/sdk_dry_run.py $host $work/params.json"
sign_cmd="python3 $here/presign.py $host $work/params.json $work/request.curl"
curl_cmd="curl --output $work/answer.json --config $work/request.curl"

echo "== each once, checked"
$ecsimg_cmd >"$work/ecsimg.out" 2>&1 || { cat "$work/ecsimg.out" >&2; echo "ecsimg failed" >&2; exit 1; }
$delivery_cmd >"$work/delivery.out" 2>&1 || { cat "$work/delivery.out" >&2; echo "ecsimg (delivery) failed" >&2; exit 1; }
grep -q 'delivery DryRun: ' "$work/delivery.out" || { cat "$work/delivery.out" >&2; exit 1; }
$sdk_cmd || { echo "the SDK's DryRun failed" >&2; exit 1; }
$sign_cmd && $curl_cmd
grep -q '"DryRunOperation"' "$work/answer.json" || { cat "$work/answer.json" >&2; exit 1; }
echo "   all three get DryRunOperation; the delivery's calls are checked too"

echo "== hyperfine: $runs runs each after $warmup warm-up runs (machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
hyperfine --shell=none --warmup "$warmup" --runs "$runs" --style basic \
    --export-json "$work/dry-run.json" \
    --prepare "$sign_cmd" --command-name "curl (pre-signed)" "$curl_cmd" \
    --prepare "true" --command-name "ecsimg create --dry-run" "$ecsimg_cmd" \
    --prepare "true" --command-name "ecsimg create --dry-run, with a delivery" "$delivery_cmd" \
    --prepare "true" --command-name "Python SDK (alibabacloud-ecs20140526)" "$sdk_cmd"

echo
python3 - "$work/dry-run.json" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
by = {r["command"]: r for r in results}
curl = by["curl (pre-signed)"]["mean"]
print("| command | mean | σ | min | × curl |")
print("|---|---:|---:|---:|---:|")
for r in results:
    print(f"| {r['command']} | {r['mean'] * 1000:.1f} ms | {r['stddev'] * 1000:.1f} ms "
          f"| {r['min'] * 1000:.1f} ms | {r['mean'] / curl:.2f} |")
ecsimg = by["ecsimg create --dry-run"]["mean"]
sdk = by["Python SDK (alibabacloud-ecs20140526)"]["mean"]
print(f"\necsimg / curl = {ecsimg / curl:.2f} (target: within 2)")
print(f"Python SDK / ecsimg = {sdk / ecsimg:.1f}")
EOF

echo
echo "== the wizard at rest (ecsimg --sandbox, 120x40, ${idle} s idle)"
python3 "$here/wizard_idle.py" "$bin" "$idle"
