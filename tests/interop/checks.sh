# Sourced by run.sh and netns.sh: runs one check script and adds its result to the totals.
#
#   run_checks NAME COMMAND [ARGS...]
#
# The command prints PASS/FAIL lines and `RESULT <passed> <failed>` last; its output is shown
# and its counts added to the globals `passed` and `failed`. A command that ends without a
# RESULT line (a crash) counts as one failure.
run_checks() {
    local name="$1"; shift
    local out
    out="$(mktemp)"
    "$@" >"$out" 2>&1 || true
    cat "$out"
    local result p f
    result="$(grep -E '^RESULT [0-9]+ [0-9]+$' "$out" | tail -n 1 || true)"
    rm -f "$out"
    if [[ -z "$result" ]]; then
        echo "FAIL [$name] crashed before reporting"
        failed=$((failed + 1))
        return
    fi
    read -r _ p f <<<"$result"
    passed=$((passed + p))
    failed=$((failed + f))
}
