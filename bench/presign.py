"""Writes a curl config holding one V3-signed (ACS3-HMAC-SHA256) CreateImage DryRun request.

    python3 presign.py HOST:PORT PARAMS.json OUT.curl

Python's standard library only, and independent of ecsimg's signer. Credentials come from
ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET. Each run signs with a fresh nonce
and time: the simulator refuses a nonce it has seen, so compare.sh signs before every curl run
(hyperfine --prepare, outside the timing).
"""

import datetime
import hashlib
import hmac
import json
import os
import sys
import urllib.parse
import uuid


def encode(text):
    return urllib.parse.quote(text, safe="-_.~")


def main():
    host, params_file, out = sys.argv[1:4]
    key_id = os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"]
    secret = os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    with open(params_file, encoding="utf-8") as f:
        params = json.load(f)
    params["DryRun"] = "true"
    params["ClientToken"] = str(uuid.uuid4())
    query = "&".join(
        f"{encode(k)}={encode(v)}"
        for k, v in sorted(params.items(), key=lambda kv: kv[0].encode())
    )
    empty = hashlib.sha256(b"").hexdigest()
    headers = {
        "host": host,
        "x-acs-action": "CreateImage",
        "x-acs-version": "2014-05-26",
        "x-acs-date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": empty,
    }
    names = sorted(headers)
    canonical = "\n".join(
        ["POST", "/", query, "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), empty]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(names)},Signature={signature}"
    )
    with open(out, "w", encoding="utf-8") as f:
        f.write(f'url = "http://{host}/?{query}"\nrequest = "POST"\nsilent\nshow-error\n')
        for name, value in headers.items():
            if name != "host":
                f.write(f'header = "{name}: {value}"\n')


main()
