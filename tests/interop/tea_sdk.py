"""The current official ECS SDK (alibabacloud-ecs20140526, tea/darabonba) against the simulator:
V3 signatures (the default), plus the same SDK in V1 mode (signature_algorithm="v2") and with an
STS token; and the official Resource Manager SDK (alibabacloud-resourcemanager20200331) on the
same listener; STS AssumeRole and AssumeRoleWithOIDC through the generic call_api, and ECS with
the credentials they issue."""

import base64
import json
import os
import time

from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_ecs20140526.client import Client
from alibabacloud_resourcemanager20200331 import models as rm
from alibabacloud_resourcemanager20200331.client import Client as ResourceManager
from alibabacloud_tea_openapi import utils_models as openapi
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from darabonba.runtime import RuntimeOptions

from common import (
    BUILDER_ROLE, OIDC_PROVIDER,
    ACCESS_KEY_ID, ACCESS_KEY_SECRET, DB_DATA_SNAPSHOT, DB_INSTANCE, ENDPOINT, IN_FLIGHT,
    LOCKED_INSTANCE, REGION, RESOURCE_GROUPS, STARTING_INSTANCE, WEB_INSTANCE, WEB_SYSTEM_SNAPSHOT,
    Checks, expect, expect_error, poll,
)


def config(v1=False, token=None, secret=ACCESS_KEY_SECRET):
    config = openapi.Config(
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=secret,
        security_token=token,
        endpoint=ENDPOINT,
        protocol="http",
        region_id=REGION,
        connect_timeout=5000,
        read_timeout=10000,
    )
    if v1:
        config.signature_algorithm = "v2"
    return config


def client(v1=False, token=None, secret=ACCESS_KEY_SECRET):
    return Client(config(v1, token, secret))


def main():
    checks = Checks("tea")
    v3 = client()
    state = {}

    def regions():
        body = v3.describe_regions(ecs.DescribeRegionsRequest()).body
        ids = [r.region_id for r in body.regions.region]
        expect(ids[0] == "cn-hangzhou" and "cn-shanghai" in ids, ids)
        expect(body.regions.region[0].local_name == "华东1（杭州）", body.regions.region[0])
        expect(len(body.request_id) == 36, body.request_id)

    def instances():
        body = v3.describe_instances(ecs.DescribeInstancesRequest(region_id=REGION, page_size=50)).body
        expect(body.total_count >= 6, body.total_count)
        by_id = {i.instance_id: i for i in body.instances.instance}
        locked = by_id[LOCKED_INSTANCE]
        expect(locked.operation_locks.lock_reason[0].lock_reason == "security", locked.operation_locks)
        db = by_id[DB_INSTANCE]
        expect(db.status == "Stopped" and db.cpu == 4 and db.memory == 32768, db)
        expect(db.vpc_attributes.private_ip_address.ip_address == ["172.16.1.20"], db.vpc_attributes)
        only = v3.describe_instances(
            ecs.DescribeInstancesRequest(region_id=REGION, instance_ids=f'["{DB_INSTANCE}"]')
        ).body
        expect([i.instance_id for i in only.instances.instance] == [DB_INSTANCE], only)

    def snapshots_paged():
        first = v3.describe_snapshots(ecs.DescribeSnapshotsRequest(region_id=REGION, max_results=10)).body
        expect(len(first.snapshots.snapshot) == 10 and first.next_token, first.next_token)
        rest = v3.describe_snapshots(
            ecs.DescribeSnapshotsRequest(region_id=REGION, max_results=10, next_token=first.next_token)
        ).body
        ids = {s.snapshot_id for s in first.snapshots.snapshot} | {s.snapshot_id for s in rest.snapshots.snapshot}
        expect(len(ids) == len(first.snapshots.snapshot) + len(rest.snapshots.snapshot), ids)
        system = v3.describe_snapshots(
            ecs.DescribeSnapshotsRequest(region_id=REGION, instance_id=DB_INSTANCE, source_disk_type="System")
        ).body.snapshots.snapshot
        expect(system and all(s.source_disk_type == "system" for s in system), system)
        expect(system[0].progress.endswith("%") and system[0].source_disk_size.isdigit(), system[0])

    def images():
        body = v3.describe_images(
            ecs.DescribeImagesRequest(region_id=REGION, image_owner_alias="self", status="Available,CreateFailed")
        ).body
        expect(body.total_count == 3 and body.page_number == 1, body.total_count)
        named = {i.image_name: i for i in body.images.image}
        web = named["web-base-20240601"]
        mapping = web.disk_device_mappings.disk_device_mapping[0]
        expect(mapping.size == "40" and mapping.device == "/dev/xvda", mapping)
        expect({t.tag_key: t.tag_value for t in web.tags.tag} == {"env": "prod", "team": "web"}, web.tags)
        expect(web.features.imds_support == "v2" and web.is_public is False, web.features)

    def create_dry_run():
        request = ecs.CreateImageRequest(
            region_id=REGION,
            snapshot_id=WEB_SYSTEM_SNAPSHOT,
            image_name="tea-dry-run",
            platform="Others Linux",
            description="checked by the tea SDK",
            dry_run=True,
        )
        expect_error(lambda: v3.create_image(request), "DryRunOperation")

    def create_and_poll():
        request = ecs.CreateImageRequest(
            region_id=REGION,
            image_name=f"tea-v3-{os.getpid()}",
            image_family="tea-sdk",
            description="made by the tea SDK, spaces and all",
            platform="CentOS Stream",
            architecture="x86_64",
            boot_mode="UEFI",
            client_token=f"tea-{os.getpid()}",
            disk_device_mapping=[
                ecs.CreateImageRequestDiskDeviceMapping(snapshot_id=WEB_SYSTEM_SNAPSHOT, disk_type="system", size=50),
                ecs.CreateImageRequestDiskDeviceMapping(snapshot_id=DB_DATA_SNAPSHOT),
                ecs.CreateImageRequestDiskDeviceMapping(size=30),
            ],
            tag=[ecs.CreateImageRequestTag(key="env", value="a b"), ecs.CreateImageRequestTag(key="sdk", value="tea")],
            features=ecs.CreateImageRequestFeatures(imds_support="v2"),
        )
        image_id = v3.create_image(request).body.image_id
        expect(image_id.startswith("m-bp1"), image_id)
        again = v3.create_image(request).body.image_id
        expect(again == image_id, "same ClientToken, same image")
        state["image"] = image_id

        def fetch():
            body = v3.describe_images(
                ecs.DescribeImagesRequest(region_id=REGION, image_id=image_id, status=IN_FLIGHT)
            ).body
            expect(body.total_count == 1, body.total_count)
            return body.images.image[0]

        image = poll(fetch, lambda i: i.status != "Creating")
        expect(image.status == "Available" and image.progress == "100%" and image.usable, image)
        expect(image.platform == "CentOS Stream" and image.boot_mode == "UEFI", image.platform)
        expect(image.description == "made by the tea SDK, spaces and all", image.description)
        disks = image.disk_device_mappings.disk_device_mapping
        expect([(d.device, d.type, d.size) for d in disks] == [
            ("/dev/xvda", "system", "50"), ("/dev/xvdb", "data", "200"), ("/dev/xvdc", "data", "30"),
        ], disks)
        expect({t.tag_key: t.tag_value for t in image.tags.tag} == {"env": "a b", "sdk": "tea"}, image.tags)

    def create_from_instance_with_check():
        image_id = v3.create_image(
            ecs.CreateImageRequest(region_id=REGION, instance_id=DB_INSTANCE, detection_strategy="Standard")
        ).body.image_id

        def fetch():
            return v3.describe_images(
                ecs.DescribeImagesRequest(region_id=REGION, image_id=image_id, status=IN_FLIGHT)
            ).body.images.image[0]

        image = poll(fetch, lambda i: i.detection_options.status == "Finished")
        expect(image.status == "Available", image.status)
        codes = [item.risk_code for item in image.detection_options.items.item]
        expect(codes == ["CloudAssistant.NotInstalled", "NVMe.DriverNotFound"], codes)
        snapshots = v3.describe_snapshots(
            ecs.DescribeSnapshotsRequest(region_id=REGION, instance_id=DB_INSTANCE, usage="image")
        ).body
        expect(snapshots.total_count == 4, snapshots.total_count)
        v3.delete_image(ecs.DeleteImageRequest(region_id=REGION, image_id=image_id))

    def errors():
        expect_error(
            lambda: v3.create_image(ecs.CreateImageRequest(region_id=REGION, instance_id=LOCKED_INSTANCE)),
            "InstanceLockedForSecurity",
        )
        bad = client(secret="not-the-secret")
        expect_error(lambda: bad.describe_regions(ecs.DescribeRegionsRequest()), "SignatureDoesNotMatch")
        expect_error(
            lambda: v3.delete_image(ecs.DeleteImageRequest(region_id=REGION, image_id="m-bp1doesnotexist0000")),
            "InvalidImageId.NotFound",
        )

    def delete():
        v3.delete_image(ecs.DeleteImageRequest(region_id=REGION, image_id=state["image"]))
        body = v3.describe_images(
            ecs.DescribeImagesRequest(region_id=REGION, image_id=state["image"], status=IN_FLIGHT)
        ).body
        expect(body.total_count == 0, body.total_count)

    def assume(action, query, auth_type="AK"):
        api = OpenApiClient(config())
        params = openapi.Params(action=action, version="2015-04-01", protocol="HTTP", pathname="/",
                                method="POST", auth_type=auth_type, style="RPC",
                                req_body_type="formData", body_type="json")
        return api.call_api(params, openapi.OpenApiRequest(query=query), RuntimeOptions())["body"]

    def sts_token():
        body = assume("AssumeRole", {"RoleArn": BUILDER_ROLE, "RoleSessionName": "tea-sdk",
                                     "DurationSeconds": "900"})
        issued = body["Credentials"]
        state["sts"] = issued
        sts = Client(openapi.Config(
            access_key_id=issued["AccessKeyId"], access_key_secret=issued["AccessKeySecret"],
            security_token=issued["SecurityToken"], endpoint=ENDPOINT, protocol="http", region_id=REGION))
        expect(sts.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region, "regions")
        wrong = client(token="CAIS" + "A" * 40)
        expect_error(lambda: wrong.describe_regions(ecs.DescribeRegionsRequest()),
                     "InvalidSecurityToken.MismatchWithAccessKey")

    def oidc():
        # Unsigned, as the official SDKs send AssumeRoleWithOIDC (the simulator reads iss, aud,
        # exp and sub, and does not check the JWT's signature).
        def b64(data):
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        token = ".".join([b64({"alg": "RS256"}), b64({
            "iss": "https://oidc.ecsimg.example", "aud": "sts.aliyuncs.com",
            "sub": "repo:example/ecsimg:ref:refs/heads/main", "exp": int(time.time()) + 3600}), "c2ln"])
        body = assume("AssumeRoleWithOIDC", {"RoleArn": BUILDER_ROLE, "OIDCProviderArn": OIDC_PROVIDER,
                                             "OIDCToken": token, "RoleSessionName": "tea-oidc"},
                      auth_type="Anonymous")
        expect(body["Credentials"]["AccessKeyId"].startswith("STS."), body)
        expect(body["OIDCTokenInfo"]["Issuer"] == "https://oidc.ecsimg.example", body["OIDCTokenInfo"])

    def v1_mode():
        old = client(v1=True)
        expect(old.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region, "regions")
        body = old.describe_images(ecs.DescribeImagesRequest(region_id=REGION, image_owner_alias="system")).body
        expect(body.total_count == 4, body.total_count)
        expect_error(
            lambda: old.create_image(
                ecs.CreateImageRequest(region_id=REGION, instance_id=DB_INSTANCE, dry_run=True, description="v1 mode")
            ),
            "DryRunOperation",
        )
        issued = state["sts"]
        sts = Client(openapi.Config(
            access_key_id=issued["AccessKeyId"], access_key_secret=issued["AccessKeySecret"],
            security_token=issued["SecurityToken"], endpoint=ENDPOINT, protocol="http", region_id=REGION,
            signature_algorithm="v2"))
        expect(sts.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region, "regions")

    def instance(instance_id):
        body = v3.describe_instances(
            ecs.DescribeInstancesRequest(region_id=REGION, instance_ids=f'["{instance_id}"]')
        ).body
        return body.instances.instance[0]

    def stop_with_mode_then_start():
        public_ip = instance(WEB_INSTANCE).public_ip_address.ip_address
        expect(public_ip == ["47.98.12.34"], public_ip)
        stopped = v3.stop_instances(
            ecs.StopInstancesRequest(region_id=REGION, instance_id=[WEB_INSTANCE], stopped_mode="StopCharging")
        ).body.instance_responses.instance_response
        expect([(r.instance_id, r.previous_status, r.current_status, r.code) for r in stopped]
               == [(WEB_INSTANCE, "Running", "Stopping", "200")], stopped)
        down = poll(lambda: instance(WEB_INSTANCE), lambda i: i.status == "Stopped")
        expect(down.stopped_mode == "StopCharging", down.stopped_mode)
        expect(down.public_ip_address.ip_address == [], "economical mode released the public IP")
        expect_error(
            lambda: v3.start_instances(
                ecs.StartInstancesRequest(region_id=REGION, instance_id=[WEB_INSTANCE], dry_run=True)
            ),
            "DryRunOperation",
        )
        started = v3.start_instances(
            ecs.StartInstancesRequest(region_id=REGION, instance_id=[WEB_INSTANCE])
        ).body.instance_responses.instance_response
        expect([(r.previous_status, r.current_status, r.code) for r in started] == [("Stopped", "Starting", "200")],
               started)
        up = poll(lambda: instance(WEB_INSTANCE), lambda i: i.status == "Running")
        expect(up.stopped_mode == "Not-applicable", up.stopped_mode)
        expect(len(up.public_ip_address.ip_address) == 1, up.public_ip_address)
        expect_error(
            lambda: v3.start_instances(ecs.StartInstancesRequest(region_id=REGION, instance_id=[STARTING_INSTANCE])),
            "IncorrectInstanceStatus",
        )
        forced = v3.stop_instances(
            ecs.StopInstancesRequest(
                region_id=REGION, instance_id=[WEB_INSTANCE], stopped_mode="KeepCharging", force_stop=True
            )
        ).body.instance_responses.instance_response
        expect(forced[0].code == "200", forced)
        kept = poll(lambda: instance(WEB_INSTANCE), lambda i: i.status == "Stopped")
        expect(kept.stopped_mode == "KeepCharging" and kept.public_ip_address.ip_address, kept.public_ip_address)
        v3.start_instances(ecs.StartInstancesRequest(region_id=REGION, instance_id=[WEB_INSTANCE]))

    def resource_groups():
        manager = ResourceManager(config())
        body = manager.list_resource_groups(rm.ListResourceGroupsRequest()).body
        expect(body.total_count == 3 and body.page_number == 1 and body.page_size == 10, body)
        groups = {g.id: (g.name, g.display_name) for g in body.resource_groups.resource_group}
        expect(groups == RESOURCE_GROUPS, groups)
        first = body.resource_groups.resource_group[0]
        expect(first.status == "OK" and first.account_id == "1234567890123456", first)
        expect(first.create_date == "2021-03-08T06:12:45Z", first.create_date)
        picked = manager.list_resource_groups(
            rm.ListResourceGroupsRequest(resource_group_ids=["rg-aek3bvz5p7mcxea", "rg-aek2t4crbzbk6ri"])
        ).body
        expect(sorted(g.id for g in picked.resource_groups.resource_group)
               == ["rg-aek2t4crbzbk6ri", "rg-aek3bvz5p7mcxea"], picked)
        paged = manager.list_resource_groups(rm.ListResourceGroupsRequest(page_number=2, page_size=2)).body
        expect([g.id for g in paged.resource_groups.resource_group] == ["rg-aek3bvz5p7mcxea"], paged)
        named = manager.list_resource_groups(rm.ListResourceGroupsRequest(display_name="测试")).body
        expect([g.name for g in named.resource_groups.resource_group] == ["test-env"], named)
        v1 = ResourceManager(config(v1=True)).list_resource_groups(rm.ListResourceGroupsRequest()).body
        expect(v1.total_count == 3, v1.total_count)
        expect_error(lambda: manager.list_resource_groups(rm.ListResourceGroupsRequest(status="Gone")),
                     "InvalidParameter")

    checks.run("DescribeRegions", regions)
    checks.run("DescribeInstances", instances)
    checks.run("DescribeSnapshots with NextToken", snapshots_paged)
    checks.run("DescribeImages", images)
    checks.run("CreateImage DryRun", create_dry_run)
    checks.run("CreateImage from mappings, poll until Available", create_and_poll)
    checks.run("CreateImage from an instance with the image check", create_from_instance_with_check)
    checks.run("error codes", errors)
    checks.run("DeleteImage", delete)
    checks.run("STS AssumeRole (V3), then its token", sts_token)
    checks.run("STS AssumeRoleWithOIDC (anonymous)", oidc)
    checks.run("V1 mode (signature_algorithm=v2)", v1_mode)
    checks.run("StopInstances with StoppedMode and ForceStop, StartInstances", stop_with_mode_then_start)
    checks.run("ListResourceGroups (Resource Manager 2020-03-31, V3 and V1)", resource_groups)
    checks.finish()


if __name__ == "__main__":
    main()
