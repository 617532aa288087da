"""Shared bits of the interop scripts: where the simulator is, and a tiny check runner.

Each script runs named checks, prints PASS/FAIL per check and ends with a machine-readable
`RESULT <passed> <failed>` line that run.sh adds up.
"""

import os
import sys
import time
import traceback

ENDPOINT = os.environ["ECSIMG_SIM_ENDPOINT"]  # host:port, no scheme
ACCESS_KEY_ID = os.environ["ECSIMG_SIM_ACCESS_KEY_ID"]
ACCESS_KEY_SECRET = os.environ["ECSIMG_SIM_ACCESS_KEY_SECRET"]
REGION = "cn-hangzhou"
# The sandbox seed's role and OIDC provider (simulated STS, API version 2015-04-01).
BUILDER_ROLE = "acs:ram::1234567890123456:role/ecsimg-builder"
OIDC_PROVIDER = "acs:ram::1234567890123456:oidc-provider/ecsimg-ci"

# Seed resources (assets/sandbox.toml).
DB_INSTANCE = "i-bp1a3fn8rvl2nqw0t5xk"
WEB_INSTANCE = "i-bp1g6zv0ce8oghu7k2a1"  # Running, pay-as-you-go in a VPC, public IP 47.98.12.34
STARTING_INSTANCE = "i-bp15d8m3qyhz0w7t4e6c"
LOCKED_INSTANCE = "i-bp1h2kq9x6c0vjz5w3ua"
WEB_SYSTEM_SNAPSHOT = "s-bp1k4wd2j0qmz7h5x3cv"
DB_DATA_SNAPSHOT = "s-bp1e7u3c9k1z5r8p2t4w"
DB_BACKUP_SNAPSHOT = "s-bp1p0o9i8u7y6t5r4e3w"  # progressing, 45%
IN_FLIGHT = "Creating,Waiting,Available,UnAvailable,CreateFailed"
# Resource Manager's resource groups (ListResourceGroups, API version 2020-03-31).
RESOURCE_GROUPS = {
    "rg-acfmykd63xkeyvy": ("default", "默认资源组"),
    "rg-aek2t4crbzbk6ri": ("production", "production"),
    "rg-aek3bvz5p7mcxea": ("test-env", "测试环境"),
}


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def run(self, label, fn):
        try:
            fn()
        except Exception as e:  # any failure is a failed check, reported with its cause
            self.failed += 1
            print(f"FAIL [{self.name}] {label}: {e!r}")
            traceback.print_exc(file=sys.stdout)
        else:
            self.passed += 1
            print(f"PASS [{self.name}] {label}")

    def finish(self):
        print(f"RESULT {self.passed} {self.failed}")
        sys.exit(0 if self.failed == 0 else 1)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_error(fn, code):
    """Runs fn, which must raise an SDK error carrying `code`."""
    try:
        fn()
    except Exception as e:  # the SDKs raise different exception classes
        got = getattr(e, "code", None) or getattr(e, "error_code", None)
        if got is None and hasattr(e, "get_error_code"):
            got = e.get_error_code()
        expect(got == code, f"expected error {code}, got {got!r}: {e}")
        return e
    raise AssertionError(f"expected error {code}, but the call succeeded")


def poll(fetch, done, timeout=60.0, interval=0.3):
    """Calls fetch() until done(result) holds; returns the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last result: {result}")
        time.sleep(interval)
