"""The delivery operations (CopyImage, CancelCopyImage, ModifyImageSharePermission,
DescribeImageSharePermission, TagResources, UntagResources, ListTagResources,
ModifyImageAttribute, DeleteImage with Force) from both official Python SDKs: the tea SDK's typed
models (V3 signatures) and the classic core's CommonRequest (V1 signatures). Each half works on
its own seed image, so they do not meet. (CommonRequest calls keep their parameters in the
query: the classic core adds its client's region there, which a form-body RegionId of another
region would contradict.)"""

from alibabacloud_ecs20140526 import models as ecs

from common import IN_FLIGHT, REGION, Checks, expect, expect_error, poll
from core_sdk import call
from tea_sdk import client

DB_IMAGE = "m-bp17441ohwkdca0xbdq2"  # cn-hangzhou, two disks
SHANGHAI = "cn-shanghai"
OPS_IMAGE = "m-uf6b2f4hvxt0pw3nq8ek"  # cn-shanghai
SHANGHAI_KEY = "key-shz2w8r4m6q1c5x7v3bn"  # the sandbox's KMS key in cn-shanghai
ALL = IN_FLIGHT + ",Deprecated"

def main():
    checks = Checks("delivery")
    v3 = client()

    def tea_image(region, image_id):
        images = v3.describe_images(
            ecs.DescribeImagesRequest(region_id=region, image_id=image_id, status=ALL)
        ).body.images.image
        return images[0] if images else None

    def tea():
        request = ecs.CopyImageRequest(
            region_id=REGION,
            image_id=DB_IMAGE,
            destination_region_id="cn-beijing",
            destination_image_name="db-beijing",
            destination_description="copied by the tea SDK",
            tag=[ecs.CopyImageRequestTag(key="stage", value="copy")],
            client_token="tea-copy-1",
        )
        copied = v3.copy_image(request).body.image_id
        # A retry with the same ClientToken is the same copy.
        again = v3.copy_image(request).body.image_id
        expect(again == copied, (again, copied))
        done = poll(lambda: tea_image("cn-beijing", copied), lambda i: i.status == "Available")
        expect(done.is_copied and done.image_family == "" and done.progress == "100%", done)
        expect([(t.tag_key, t.tag_value) for t in done.tags.tag] == [("stage", "copy")], done.tags)

        queued = v3.copy_image(
            ecs.CopyImageRequest(region_id=REGION, image_id=DB_IMAGE, destination_region_id="cn-qingdao")
        ).body.image_id
        v3.cancel_copy_image(ecs.CancelCopyImageRequest(region_id="cn-qingdao", image_id=queued))
        expect(tea_image("cn-qingdao", queued) is None, "a cancelled copy is gone")

        # Encrypted with a KMS key of the destination region (`KMSKeyId`, the sandbox's keys):
        # a disabled key is refused, an enabled one encrypts the copy's snapshots.
        expect_error(
            lambda: v3.copy_image(
                ecs.CopyImageRequest(
                    region_id=REGION,
                    image_id=DB_IMAGE,
                    destination_region_id="cn-beijing",
                    encrypted=True,
                    kmskey_id="key-bjz0retired5c3w9h2lx",
                )
            ),
            "InvalidParameter.KMSKeyId.CMKNotEnabled",
        )
        sealed = v3.copy_image(
            ecs.CopyImageRequest(
                region_id=REGION,
                image_id=DB_IMAGE,
                destination_region_id=SHANGHAI,
                encrypted=True,
                kmskey_id=SHANGHAI_KEY,
            )
        ).body.image_id
        sealed_image = poll(lambda: tea_image(SHANGHAI, sealed), lambda i: i.status == "Available")
        snapshot_ids = [d.snapshot_id for d in sealed_image.disk_device_mappings.disk_device_mapping]
        snapshots = v3.describe_snapshots(
            ecs.DescribeSnapshotsRequest(region_id=SHANGHAI, snapshot_ids=str(snapshot_ids).replace("'", '"'))
        ).body.snapshots.snapshot
        expect(len(snapshots) == len(snapshot_ids) == 2, snapshots)
        expect(all(s.encrypted and s.kmskey_id == SHANGHAI_KEY for s in snapshots), snapshots)

        v3.modify_image_share_permission(
            ecs.ModifyImageSharePermissionRequest(
                region_id="cn-beijing", image_id=copied, add_account=["1111111111111111", "2222222222222222"]
            )
        )
        shared = v3.describe_image_share_permission(
            ecs.DescribeImageSharePermissionRequest(region_id="cn-beijing", image_id=copied)
        ).body
        expect(shared.total_count == 2, shared)
        expect([a.aliyun_id for a in shared.accounts.account] == ["1111111111111111", "2222222222222222"], shared)
        expect(tea_image("cn-beijing", copied).is_self_shared == "True", "IsSelfShared")
        expect_error(
            lambda: v3.modify_image_attribute(
                ecs.ModifyImageAttributeRequest(region_id="cn-beijing", image_id=copied, status="Deprecated")
            ),
            "ImageUseShared",
        )
        v3.modify_image_share_permission(
            ecs.ModifyImageSharePermissionRequest(
                region_id="cn-beijing", image_id=copied, remove_account=["1111111111111111", "2222222222222222"]
            )
        )

        v3.tag_resources(
            ecs.TagResourcesRequest(
                region_id="cn-beijing",
                resource_type="image",
                resource_id=[copied],
                tag=[ecs.TagResourcesRequestTag(key="retire", value="2026-02")],
            )
        )
        listed = v3.list_tag_resources(
            ecs.ListTagResourcesRequest(region_id="cn-beijing", resource_type="image", resource_id=[copied])
        ).body
        pairs = sorted((t.tag_key, t.tag_value, t.resource_type) for t in listed.tag_resources.tag_resource)
        expect(pairs == [("retire", "2026-02", "image"), ("stage", "copy", "image")], pairs)
        v3.untag_resources(
            ecs.UntagResourcesRequest(
                region_id="cn-beijing", resource_type="image", resource_id=[copied], tag_key=["retire"]
            )
        )

        v3.modify_image_attribute(
            ecs.ModifyImageAttributeRequest(
                region_id="cn-beijing", image_id=copied, image_family="db", status="Deprecated"
            )
        )
        retired = v3.describe_images(
            ecs.DescribeImagesRequest(region_id="cn-beijing", status="Deprecated", image_owner_alias="self")
        ).body.images.image
        expect([(i.image_id, i.image_family) for i in retired] == [(copied, "db")], retired)
        v3.delete_image(ecs.DeleteImageRequest(region_id="cn-beijing", image_id=copied, force=True))
        expect(tea_image("cn-beijing", copied) is None, "deleted")

    def core_image(region, image_id):
        images = call("DescribeImages", {"RegionId": region, "ImageId": image_id, "Status": ALL})
        found = images["Images"]["Image"]
        return found[0] if found else None

    def core():
        copied = call(
            "CopyImage",
            {
                "RegionId": SHANGHAI,
                "ImageId": OPS_IMAGE,
                "DestinationRegionId": "cn-shenzhen",
                "DestinationImageName": "ops-shenzhen",
                "Tag.1.Key": "stage",
                "Tag.1.Value": "copy",
                "ClientToken": "core-copy-1",
            },
        )["ImageId"]
        done = poll(lambda: core_image("cn-shenzhen", copied), lambda i: i["Status"] == "Available")
        expect(done["IsCopied"] is True and done["ImageName"] == "ops-shenzhen", done)

        queued = call(
            "CopyImage", {"RegionId": SHANGHAI, "ImageId": OPS_IMAGE, "DestinationRegionId": "cn-hongkong"}
        )["ImageId"]
        call("CancelCopyImage", {"RegionId": "cn-hongkong", "ImageId": queued}, method="GET")
        expect(core_image("cn-hongkong", queued) is None, "a cancelled copy is gone")

        accounts = {f"AddAccount.{n}": f"33333333333333{n:02}" for n in range(1, 12)}
        call("ModifyImageSharePermission", {"RegionId": "cn-shenzhen", "ImageId": copied, **accounts})
        shared = call(
            "DescribeImageSharePermission", {"RegionId": "cn-shenzhen", "ImageId": copied, "PageSize": 20}, method="GET"
        )
        expect(shared["TotalCount"] == 10, f"the eleventh account is ignored: {shared}")
        expect_error(
            lambda: call("DeleteImage", {"RegionId": "cn-shenzhen", "ImageId": copied, "Force": "true"}),
            "ImageUseShared",
        )
        removals = {f"RemoveAccount.{n}": f"33333333333333{n:02}" for n in range(1, 11)}
        call("ModifyImageSharePermission", {"RegionId": "cn-shenzhen", "ImageId": copied, **removals})

        call(
            "TagResources",
            {
                "RegionId": "cn-shenzhen",
                "ResourceType": "image",
                "ResourceId.1": copied,
                "Tag.1.Key": "retire",
                "Tag.1.Value": "2026-03",
            },
        )
        listed = call(
            "ListTagResources", {"RegionId": "cn-shenzhen", "ResourceType": "image", "Tag.1.Key": "retire"}
        )
        entries = listed["TagResources"]["TagResource"]
        expect([(e["ResourceId"], e["TagValue"]) for e in entries if e["TagKey"] == "retire"] == [(copied, "2026-03")], listed)
        call(
            "UntagResources",
            {"RegionId": "cn-shenzhen", "ResourceType": "image", "ResourceId.1": copied, "All": "true"},
        )
        expect(core_image("cn-shenzhen", copied)["Tags"]["Tag"] == [], "untagged")
        expect_error(
            lambda: call("TagResources", {"RegionId": "cn-shenzhen", "ResourceType": "image", "ResourceId.1": copied}),
            "MissingParameter.Tags",
        )

        call("ModifyImageAttribute", {"RegionId": "cn-shenzhen", "ImageId": copied, "Status": "Deprecated"})
        expect(core_image("cn-shenzhen", copied)["Status"] == "Deprecated", "deprecated")
        call("ModifyImageAttribute", {"RegionId": "cn-shenzhen", "ImageId": copied, "Status": "Available"})
        call("DeleteImage", {"RegionId": "cn-shenzhen", "ImageId": copied, "Force": "true"})
        expect(core_image("cn-shenzhen", copied) is None, "deleted")

    def dry_runs():
        # What ecsimg's review relies on: DryRun on the delivery calls changes nothing and
        # answers DryRunOperation for an image that exists, InvalidImageId.NotFound for one
        # that does not (after the other checks).
        placeholder = "m-ecsimgdryrun00000000"
        for image_id, code in [(OPS_IMAGE, "DryRunOperation"), (placeholder, "InvalidImageId.NotFound")]:
            expect_error(
                lambda: v3.copy_image(
                    ecs.CopyImageRequest(
                        region_id=SHANGHAI, image_id=image_id, destination_region_id="cn-beijing", dry_run=True
                    )
                ),
                code,
            )
            expect_error(
                lambda: v3.modify_image_share_permission(
                    ecs.ModifyImageSharePermissionRequest(
                        region_id=SHANGHAI, image_id=image_id, add_account=["1111111111111111"], dry_run=True
                    )
                ),
                code,
            )
            expect_error(
                lambda: v3.modify_image_attribute(
                    ecs.ModifyImageAttributeRequest(
                        region_id=SHANGHAI, image_id=image_id, status="Deprecated", dry_run=True
                    )
                ),
                code,
            )
            expect_error(
                lambda: v3.delete_image(ecs.DeleteImageRequest(region_id=SHANGHAI, image_id=image_id, dry_run=True)),
                code,
            )
        expect(tea_image(SHANGHAI, OPS_IMAGE).status == "Available", "still Available")
        shared = v3.describe_image_share_permission(
            ecs.DescribeImageSharePermissionRequest(region_id=SHANGHAI, image_id=OPS_IMAGE)
        ).body
        expect(shared.total_count == 0, shared)

    checks.run("delivery DryRun with the tea SDK (V3)", dry_runs)
    checks.run("delivery operations with the tea SDK (V3)", tea)
    checks.run("delivery operations with CommonRequest (V1)", core)
    checks.finish()

if __name__ == "__main__":
    main()
