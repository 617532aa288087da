#!/usr/bin/env bash
# Instance metadata and STS over TLS, with code nobody here wrote, at the addresses the official
# libraries hard-code: in a private network namespace (and mount namespace, for a private
# /etc/hosts) the simulator serves
#   - the instance metadata service on http://100.100.100.200:80 (hardened: tokens required),
#   - its APIs (ECS, STS) over HTTPS on 127.0.0.1:443, with sts.aliyuncs.com and
#     ecs-cn-hangzhou.aliyuncs.com mapped to 127.0.0.1 and its CA trusted through the
#     libraries' own settings (SSL_CERT_FILE / REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS,
#     ECSIMG_CA_FILE), and over plain HTTP on a free loopback port;
# then the official Python and Node credential libraries, and ecsimg itself with no metadata
# override, obtain credentials there and sign ECS calls with them. Nothing can leave the machine:
# the namespace has only its loopback device.
#
#   tests/interop/netns.sh ECSIMG PYTHON NODE_DIR WORK
#
# PYTHON is a python with requirements.txt installed; NODE_DIR holds node/'s package files with
# `npm ci` done. Prints PASS/FAIL per check and `RESULT <passed> <failed>` last. Without
# namespaces (no root, no user namespaces) it prints a SKIP line saying why and `RESULT 0 0`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ "${1:-}" != "--inside" ]]; then
    [[ $# -eq 4 ]] || { echo "usage: $0 ECSIMG PYTHON NODE_DIR WORK" >&2; exit 2; }
    if unshare --net --mount true 2>/dev/null; then
        how=(unshare --net --mount --fork)
    elif unshare --user --map-root-user --net --mount true 2>/dev/null; then
        how=(unshare --user --map-root-user --net --mount --fork)
    else
        echo "SKIP [netns] cannot create network and mount namespaces here (needs root, or" \
             "unprivileged user namespaces): the instance-metadata and STS-over-TLS checks did not run"
        echo "RESULT 0 0"
        exit 0
    fi
    exec "${how[@]}" bash "$0" --inside "$@"
fi
shift
bin="$1"; python="$2"; node_dir="$3"; work="$4"

passed=0
failed=0
# shellcheck source=checks.sh
source "$here/checks.sh"
pass() { echo "PASS [netns] $1"; passed=$((passed + 1)); }
fail() { echo "FAIL [netns] $1"; failed=$((failed + 1)); }

ip link set lo up
ip addr add 100.100.100.200/32 dev lo
cat >"$work/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost
127.0.0.1 sts.aliyuncs.com sts.cn-hangzhou.aliyuncs.com ecs.aliyuncs.com ecs-cn-hangzhou.aliyuncs.com ecs.cn-hangzhou.aliyuncs.com
EOF
# A mount namespace's mounts are private: the real /etc/hosts is untouched.
mount --bind "$work/hosts" /etc/hosts

# The sandbox seed, hardened: every metadata read needs a token.
sed 's/^http_tokens = "optional"/http_tokens = "required"/' "$root/assets/sandbox.toml" >"$work/hardened.toml"
grep -q '^http_tokens = "required"' "$work/hardened.toml"
role="$(sed -n 's/^ram_role = "\(.*\)"/\1/p' "$work/hardened.toml")"
account="$(sed -n 's/^owner_id = \([0-9]*\)/\1/p' "$work/hardened.toml")"
role_arn="acs:ram::$account:role/$role"

"$bin" sim serve --listen 127.0.0.1:0 --tls-listen 127.0.0.1:443 --ca-out "$work/ca.pem" \
    --metadata-listen 100.100.100.200:80 --data "$work/hardened.toml" \
    >"$work/netns-sim.out" 2>"$work/netns-sim.log" &
sim_pid=$!
trap 'kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    [[ "$(wc -l <"$work/netns-sim.out")" -ge 3 ]] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/netns-sim.log" >&2; echo "simulator exited early" >&2; exit 1; }
    sleep 0.1
done
endpoint="$(sed -n '1s|^listening on http://||p' "$work/netns-sim.out")"
[[ "$(sed -n 2p "$work/netns-sim.out")" == "listening on https://127.0.0.1:443" ]] || { cat "$work/netns-sim.out" >&2; exit 1; }
[[ "$(sed -n 3p "$work/netns-sim.out")" == "metadata service on http://100.100.100.200:80" ]] || { cat "$work/netns-sim.out" >&2; exit 1; }
echo "   simulator at $endpoint, https://127.0.0.1:443 and http://100.100.100.200:80 (role $role)"

mkdir -p "$work/home"
# Only what each client is told; no key in the environment, an empty home.
common=(env -i "PATH=$PATH" "HOME=$work/home" "ECSIMG_SIM_ENDPOINT=$endpoint"
    "ECSIMG_SIM_ACCESS_KEY_ID=LTAIsandbox" "ECSIMG_SIM_ACCESS_KEY_SECRET=sandbox-secret"
    "ECSIMG_SIM_ROLE=$role" "ECSIMG_SIM_ROLE_ARN=$role_arn")

echo "== python alibabacloud-credentials"
run_checks python "${common[@]}" PYTHONDONTWRITEBYTECODE=1 \
    "SSL_CERT_FILE=$work/ca.pem" "REQUESTS_CA_BUNDLE=$work/ca.pem" \
    bash -c "cd '$here' && exec '$python' instance_role.py"

echo "== node @alicloud/credentials"
run_checks node "${common[@]}" "NODE_EXTRA_CA_CERTS=$work/ca.pem" \
    node "$node_dir/instance_role.js"

echo "== ecsimg"
cat >"$work/recipe.toml" <<'EOF'
region = "cn-hangzhou"
[source]
instance_id = "i-bp1a3fn8rvl2nqw0t5xk"
[image]
name = "netns-dry-run"
EOF
# ecsimg_run ENDPOINT [VAR=VALUE...]
ecsimg_run() {
    local to="$1"; shift
    "${common[@]}" "ECSIMG_JOURNAL=$work/journal.jsonl" "$@" "$bin" --endpoint "$to" \
        create --recipe "$work/recipe.toml" --dry-run --yes
}
# No credentials anywhere and no metadata override: the chain ends at 100.100.100.200:80.
if out="$(ecsimg_run "http://$endpoint" 2>&1 <&-)" && grep -q "DryRun passed" <<<"$out"; then
    pass "ecsimg's chain reads the instance role at 100.100.100.200 (no override) and ECS accepts it"
else
    fail "ecsimg's chain and the instance role: $out"
fi
# The same over HTTPS to the SDKs' host name, trusting the simulator's CA.
if out="$(ecsimg_run https://ecs-cn-hangzhou.aliyuncs.com "ECSIMG_CA_FILE=$work/ca.pem" 2>&1 <&-)" \
    && grep -q "DryRun passed" <<<"$out"; then
    pass "ecsimg over HTTPS with ECSIMG_CA_FILE"
else
    fail "ecsimg over HTTPS with ECSIMG_CA_FILE: $out"
fi
if out="$(ecsimg_run https://ecs-cn-hangzhou.aliyuncs.com 2>&1 <&-)"; then
    fail "ecsimg trusted the simulator's certificate without its CA: $out"
elif grep -qi "certificate" <<<"$out"; then
    pass "ecsimg refuses the simulator's certificate without its CA"
else
    fail "ecsimg without the CA failed for another reason: $out"
fi

echo "RESULT $passed $failed"
