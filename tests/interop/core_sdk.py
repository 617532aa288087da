"""The classic Python SDK core (aliyun-python-sdk-core, V1 HMAC-SHA1) against the simulator, through
CommonRequest: parameters in the query (POST and GET) or in a form body, SignatureType= sent
empty, Format=JSON, optional STS token."""

import json
import os

from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from common import (
    BUILDER_ROLE,
    ACCESS_KEY_ID, ACCESS_KEY_SECRET, DB_BACKUP_SNAPSHOT, DB_DATA_SNAPSHOT, DB_INSTANCE, ENDPOINT, IN_FLIGHT, LOCKED_INSTANCE, REGION,
    WEB_SYSTEM_SNAPSHOT, Checks, expect, expect_error, poll,
)

CLIENT = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION)


def build(action, params=None, method="POST", body=False, version="2014-05-26"):
    request = CommonRequest(domain=ENDPOINT, version=version, action_name=action)
    request.set_protocol_type("http")
    request.set_method(method)
    request.set_accept_format("json")
    for name, value in (params or {}).items():
        if body:
            request.add_body_params(name, value)
        else:
            request.add_query_param(name, value)
    return request


def call(action, params=None, method="POST", body=False, client=CLIENT, version="2014-05-26"):
    return json.loads(client.do_action_with_exception(build(action, params, method, body, version)))


def main():
    checks = Checks("core")
    state = {}

    def regions():
        for method in ("POST", "GET"):
            body = call("DescribeRegions", method=method)
            ids = [r["RegionId"] for r in body["Regions"]["Region"]]
            expect(ids[0] == "cn-hangzhou" and "cn-shanghai" in ids, ids)

    def instances():
        body = call("DescribeInstances", {"RegionId": REGION, "PageSize": 2, "PageNumber": 2})
        expect(body["PageNumber"] == 2 and len(body["Instances"]["Instance"]) == 2, body)
        body = call("DescribeInstances", {"RegionId": REGION, "InstanceIds": json.dumps([LOCKED_INSTANCE])})
        instance = body["Instances"]["Instance"][0]
        expect(instance["OperationLocks"]["LockReason"][0]["LockReason"] == "security", instance)
        form = call("DescribeInstances", {"RegionId": REGION, "Status": "Stopped"}, body=True)
        expect(all(i["Status"] == "Stopped" for i in form["Instances"]["Instance"]), form)

    def snapshots():
        body = call("DescribeSnapshots", {"RegionId": REGION, "InstanceId": DB_INSTANCE})
        by_id = {s["SnapshotId"]: s for s in body["Snapshots"]["Snapshot"]}
        expect(by_id[DB_BACKUP_SNAPSHOT]["Status"] == "progressing", by_id)
        expect(by_id[DB_BACKUP_SNAPSHOT]["Progress"] == "45%", by_id)
        expect(by_id[DB_DATA_SNAPSHOT]["Status"] == "accomplished", by_id)

    def images():
        body = call("DescribeImages", {"RegionId": REGION, "ImageOwnerAlias": "system"})
        expect(body["TotalCount"] == 4, body["TotalCount"])
        image = body["Images"]["Image"][0]
        expect(image["IsPublic"] is True and isinstance(image["Size"], int), image)

    def create_dry_run():
        params = {"RegionId": REGION, "InstanceId": DB_INSTANCE, "ImageName": "core-dry-run", "DryRun": True}
        expect_error(lambda: call("CreateImage", params), "DryRunOperation")

    def create_and_poll():
        params = {
            "RegionId": REGION,
            "SnapshotId": WEB_SYSTEM_SNAPSHOT,
            "ImageName": f"core-v1-{os.getpid()}",
            "Description": "made by the core SDK",
            "Platform": "Rocky Linux",
            "Tag.1.Key": "sdk",
            "Tag.1.Value": "core",
            "Features.ImdsSupport": "v2",
        }
        image_id = call("CreateImage", params)["ImageId"]
        state["image"] = image_id

        def fetch():
            body = call("DescribeImages", {"RegionId": REGION, "ImageId": image_id, "Status": IN_FLIGHT})
            expect(body["TotalCount"] == 1, body)
            return body["Images"]["Image"][0]

        image = poll(fetch, lambda i: i["Status"] != "Creating")
        expect(image["Status"] == "Available" and image["Progress"] == "100%", image)
        expect(image["Platform"] == "Rocky Linux" and image["Features"]["ImdsSupport"] == "v2", image)
        expect(image["Tags"]["Tag"] == [{"TagKey": "sdk", "TagValue": "core"}], image["Tags"])
        call("DeleteImage", {"RegionId": REGION, "ImageId": image_id}, body=True)

    def errors():
        expect_error(
            lambda: call("CreateImage", {"RegionId": REGION, "InstanceId": LOCKED_INSTANCE}),
            "InstanceLockedForSecurity",
        )
        expect_error(lambda: call("CreateImage", {"RegionId": REGION}), "MissingParameter")
        # The core compares the text after the first ':' of a SignatureDoesNotMatch message with
        # its own string to sign (to report InvalidAccessKeySecret): it must match exactly.
        wrong = AcsClient(ACCESS_KEY_ID, "not-the-secret", REGION)
        request = build("DescribeRegions")
        error = expect_error(lambda: wrong.do_action_with_exception(request), "SignatureDoesNotMatch")
        server_string = error.get_error_msg().split(":")[1]
        expect(server_string == request.request.string_to_sign, server_string)
        unknown = AcsClient("LTAInobody", ACCESS_KEY_SECRET, REGION)
        expect_error(lambda: call("DescribeRegions", client=unknown), "InvalidAccessKeyId.NotFound")

    def sts_token():
        # AssumeRole (V1, as the credential libraries send it), then ECS with what it issued.
        body = call("AssumeRole", {"RoleArn": BUILDER_ROLE, "RoleSessionName": "core-sdk",
                                   "DurationSeconds": "900"}, version="2015-04-01")
        issued = body["Credentials"]
        expect(issued["AccessKeyId"].startswith("STS.") and issued["Expiration"].endswith("Z"), issued)
        expect(body["AssumedRoleUser"]["Arn"].endswith(":role/ecsimg-builder/core-sdk"), body)
        sts = AcsClient(region_id=REGION, credential=StsTokenCredential(
            issued["AccessKeyId"], issued["AccessKeySecret"], issued["SecurityToken"]))
        expect(call("DescribeRegions", client=sts)["Regions"]["Region"], "regions")
        who = call("GetCallerIdentity", client=sts, version="2015-04-01")
        expect(who["IdentityType"] == "AssumedRoleUser" and who["RoleId"], who)
        # A token that does not belong to the key is refused.
        mixed = AcsClient(region_id=REGION, credential=StsTokenCredential(
            ACCESS_KEY_ID, ACCESS_KEY_SECRET, issued["SecurityToken"]))
        expect_error(lambda: call("DescribeRegions", client=mixed), "InvalidSecurityToken.MismatchWithAccessKey")

    checks.run("DescribeRegions (POST and GET)", regions)
    checks.run("DescribeInstances (pages, JSON ids, form body)", instances)
    checks.run("DescribeSnapshots", snapshots)
    checks.run("DescribeImages", images)
    checks.run("CreateImage DryRun", create_dry_run)
    checks.run("CreateImage, poll until Available, DeleteImage", create_and_poll)
    checks.run("error codes", errors)
    def resource_groups():
        # Resource Manager's version routes to Resource Manager on the same listener.
        body = call("ListResourceGroups", {"PageSize": 2}, version="2020-03-31")
        expect(body["TotalCount"] == 3 and len(body["ResourceGroups"]["ResourceGroup"]) == 2, body)
        expect(body["ResourceGroups"]["ResourceGroup"][0]["DisplayName"] == "默认资源组", body)
        expect_error(lambda: call("ListResourceGroups", {}), "InvalidAction.NotFound")

    checks.run("STS AssumeRole, then its token", sts_token)
    checks.run("ListResourceGroups with CommonRequest (version 2020-03-31)", resource_groups)
    checks.finish()


if __name__ == "__main__":
    main()
