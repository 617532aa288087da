"""One CreateImage DryRun with the official Python SDK (alibabacloud-ecs20140526, V3), as a user
script would make it: import, build a client, call, read the answer. Exits 0 when the service
answers DryRunOperation.

    python sdk_dry_run.py HOST:PORT PARAMS.json
"""

import json
import os
import sys
import uuid

from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi import utils_models as openapi


def main():
    host, params_file = sys.argv[1:3]
    with open(params_file, encoding="utf-8") as f:
        params = json.load(f)
    client = Client(
        openapi.Config(
            access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            endpoint=host,
            protocol="http",
            region_id=params["RegionId"],
        )
    )
    request = ecs.CreateImageRequest(
        region_id=params["RegionId"],
        snapshot_id=params["SnapshotId"],
        image_name=params["ImageName"],
        client_token=str(uuid.uuid4()),
        dry_run=True,
    )
    try:
        client.create_image(request)
    except Exception as e:  # the SDK raises its TeaException for every error answer
        if getattr(e, "code", None) == "DryRunOperation":
            return 0
        raise
    print("the DryRun created an image", file=sys.stderr)
    return 1


sys.exit(main())
