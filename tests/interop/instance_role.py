"""The official Python credentials library (alibabacloud-credentials) against the simulator, in
a private network namespace (netns.sh): the ECS instance metadata service at its real address
http://100.100.100.200 (hardened: tokens required), and STS at https://sts.aliyuncs.com (the
name mapped to loopback by a private /etc/hosts, the simulator's CA trusted through
SSL_CERT_FILE / REQUESTS_CA_BUNDLE). The credentials it obtains then sign the official ECS
SDK's calls, over plain HTTP to the simulator's port and over HTTPS to ecs-cn-hangzhou.aliyuncs.com."""

import os

from alibabacloud_credentials.client import Client as Credentials
from alibabacloud_credentials.models import Config as CredentialsConfig
from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_ecs20140526.client import Client as Ecs
from alibabacloud_tea_openapi import utils_models as openapi

from common import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ENDPOINT, REGION, Checks, expect

ROLE = os.environ["ECSIMG_SIM_ROLE"]
ROLE_ARN = os.environ["ECSIMG_SIM_ROLE_ARN"]


def ecs_client(credential, https=False):
    config = openapi.Config(credential=credential, region_id=REGION, connect_timeout=5000,
                            read_timeout=10000)
    if https:
        # The SDK's own endpoint for the region, over TLS (the hosts file points it here).
        config.endpoint = "ecs-cn-hangzhou.aliyuncs.com"
        config.protocol = "https"
    else:
        config.endpoint = ENDPOINT
        config.protocol = "http"
    return Ecs(config)


def describe_regions(credential, https=False):
    body = ecs_client(credential, https).describe_regions(ecs.DescribeRegionsRequest()).body
    ids = [r.region_id for r in body.regions.region]
    expect("cn-hangzhou" in ids, ids)


def expect_temporary(model):
    expect(model.access_key_id.startswith("STS."), model.access_key_id)
    expect(model.security_token and model.security_token.startswith("CAIS"), "no token")
    expect(model.access_key_secret, "no secret")


def main():
    checks = Checks("py-credentials")

    def discovered():
        credential = Credentials(CredentialsConfig(type="ecs_ram_role"))
        expect_temporary(credential.get_credential())
        describe_regions(credential)

    def named():
        credential = Credentials(CredentialsConfig(type="ecs_ram_role", role_name=ROLE))
        expect_temporary(credential.get_credential())
        describe_regions(credential, https=True)

    def default_chain():
        # No key in the environment, no profile files (HOME is empty): the chain ends at IMDS.
        credential = Credentials()
        model = credential.get_credential()
        expect_temporary(model)
        expect(model.provider_name and "ecs_ram_role" in model.provider_name, model.provider_name)
        describe_regions(credential)

    def ram_role_arn():
        credential = Credentials(CredentialsConfig(
            type="ram_role_arn",
            access_key_id=ACCESS_KEY_ID,
            access_key_secret=ACCESS_KEY_SECRET,
            role_arn=ROLE_ARN,
            role_session_name="interop-python",
        ))
        expect_temporary(credential.get_credential())
        describe_regions(credential)
        describe_regions(credential, https=True)

    checks.run("ecs_ram_role: IMDSv2 token, role discovered, credentials sign ECS calls",
               discovered)
    checks.run("ecs_ram_role with role_name; ECS over HTTPS with the simulator's CA", named)
    checks.run("the default chain reaches the instance metadata service", default_chain)
    checks.run("ram_role_arn: AssumeRole at https://sts.aliyuncs.com, then ECS", ram_role_arn)
    checks.finish()


if __name__ == "__main__":
    main()
