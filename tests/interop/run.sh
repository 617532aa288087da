#!/usr/bin/env bash
# Interop check: the official Alibaba Cloud Python SDKs against `ecsimg sim serve`, then the
# official Python and Node credential libraries against its instance metadata service and its
# STS over TLS, in a private network namespace (netns.sh).
#
#   tests/interop/run.sh [PATH_TO_ECSIMG]
#
# Without an argument the binary is built with `cargo build`. A throwaway venv gets the pinned
# SDKs (requirements.txt) and a throwaway directory the pinned Node packages (node/package.json
# and package-lock.json, `npm ci`); the simulator runs on a free loopback port with fast
# simulated time, and each SDK script runs its checks. Prints `N passed, M failed` last; exits
# non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=checks.sh
source "$here/checks.sh"

bin="${1:-}"
if [[ -z "$bin" ]]; then
    (cd "$root" && cargo build --quiet --bin ecsimg)
    bin="$root/target/debug/ecsimg"
fi
[[ -x "$bin" ]] || { echo "not an executable: $bin" >&2; exit 2; }

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

echo "== venv with the pinned SDKs"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

echo "== node packages (npm ci)"
mkdir -p "$work/node"
cp "$here/node/package.json" "$here/node/package-lock.json" "$here/node/instance_role.js" "$work/node/"
(cd "$work/node" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

echo "== starting $bin sim serve"
"$bin" sim serve --listen 127.0.0.1:0 --speed 20 >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
line=""
for _ in $(seq 1 300); do
    line="$(head -n 1 "$work/sim.out" 2>/dev/null || true)"
    [[ -n "$line" ]] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; echo "simulator exited early" >&2; exit 1; }
    sleep 0.1
done
[[ "$line" == "listening on http://"* ]] || { echo "unexpected first line: '$line'" >&2; exit 1; }
endpoint="${line#listening on http://}"
echo "   simulator at $endpoint"

export ECSIMG_SIM_ENDPOINT="$endpoint"
export ECSIMG_SIM_ACCESS_KEY_ID="LTAIsandbox"
export ECSIMG_SIM_ACCESS_KEY_SECRET="sandbox-secret"
export PYTHONDONTWRITEBYTECODE=1

passed=0
failed=0
for script in tea_sdk.py core_sdk.py delivery_sdk.py; do
    echo "== $script"
    run_checks "$script" bash -c "cd '$here' && exec '$work/venv/bin/python' '$script'"
done

echo "== netns.sh: instance metadata and STS over TLS"
run_checks netns.sh "$here/netns.sh" "$bin" "$work/venv/bin/python" "$work/node" "$work"

echo "== stopping the simulator (SIGTERM)"
kill -TERM "$sim_pid"
status=0
wait "$sim_pid" || status=$?
sim_pid=""
if [[ "$status" -eq 0 ]]; then
    echo "PASS [serve] exits 0 on SIGTERM"
    passed=$((passed + 1))
else
    echo "FAIL [serve] exit status $status after SIGTERM"
    failed=$((failed + 1))
    cat "$work/sim.log" >&2
fi

echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
