// The official Node.js credentials library (@alicloud/credentials) against the simulator, in a
// private network namespace (../netns.sh): the ECS instance metadata service at its real address
// http://100.100.100.200 (hardened: tokens required), and STS at https://sts.aliyuncs.com (the
// name mapped to loopback by a private /etc/hosts, the simulator's CA trusted through
// NODE_EXTRA_CA_CERTS). The credentials then sign the official ECS SDK's calls
// (@alicloud/ecs20140526), over plain HTTP to the simulator's port and over HTTPS to
// ecs-cn-hangzhou.aliyuncs.com. Prints PASS/FAIL per check and `RESULT <passed> <failed>` last.
'use strict';

const Credential = require('@alicloud/credentials');
const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');

const ENDPOINT = process.env.ECSIMG_SIM_ENDPOINT; // host:port, no scheme
const ACCESS_KEY_ID = process.env.ECSIMG_SIM_ACCESS_KEY_ID;
const ACCESS_KEY_SECRET = process.env.ECSIMG_SIM_ACCESS_KEY_SECRET;
const ROLE = process.env.ECSIMG_SIM_ROLE;
const ROLE_ARN = process.env.ECSIMG_SIM_ROLE_ARN;
const REGION = 'cn-hangzhou';

function expect(condition, message) {
  if (!condition) {
    throw new Error(String(message));
  }
}

function credentialOf(config) {
  return config ? new Credential.default(new Credential.Config(config)) : new Credential.default();
}

async function expectTemporary(credential) {
  const model = await credential.getCredential();
  expect(model.accessKeyId.startsWith('STS.'), model.accessKeyId);
  expect(model.securityToken && model.securityToken.startsWith('CAIS'), 'no token');
  expect(model.accessKeySecret, 'no secret');
  return model;
}

async function describeRegions(credential, https) {
  const config = new $OpenApiUtil.Config({
    credential,
    regionId: REGION,
    endpoint: https ? 'ecs-cn-hangzhou.aliyuncs.com' : ENDPOINT,
    protocol: https ? 'https' : 'http',
  });
  const client = new Ecs.default(config);
  const response = await client.describeRegions(new Ecs.DescribeRegionsRequest({}));
  const ids = response.body.regions.region.map((r) => r.regionId);
  expect(ids.includes('cn-hangzhou'), ids);
}

const checks = [
  ['ecs_ram_role: IMDSv2 token, role discovered, credentials sign ECS calls', async () => {
    const credential = credentialOf({ type: 'ecs_ram_role' });
    await expectTemporary(credential);
    await describeRegions(credential, false);
  }],
  ['ecs_ram_role with roleName; ECS over HTTPS with the simulator\'s CA', async () => {
    const credential = credentialOf({ type: 'ecs_ram_role', roleName: ROLE });
    await expectTemporary(credential);
    await describeRegions(credential, true);
  }],
  ['the default chain reaches the instance metadata service', async () => {
    // No key in the environment, no profile files (HOME is empty): the chain ends at IMDS.
    const credential = credentialOf(null);
    const model = await expectTemporary(credential);
    expect(/ecs_ram_role/.test(model.providerName), model.providerName);
    await describeRegions(credential, false);
  }],
  ['ram_role_arn: AssumeRole at https://sts.aliyuncs.com, then ECS', async () => {
    const credential = credentialOf({
      type: 'ram_role_arn',
      accessKeyId: ACCESS_KEY_ID,
      accessKeySecret: ACCESS_KEY_SECRET,
      roleArn: ROLE_ARN,
      roleSessionName: 'interop-node',
    });
    await expectTemporary(credential);
    await describeRegions(credential, false);
    await describeRegions(credential, true);
  }],
];

(async () => {
  let passed = 0;
  let failed = 0;
  for (const [label, check] of checks) {
    try {
      await check();
      passed += 1;
      console.log(`PASS [node-credentials] ${label}`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL [node-credentials] ${label}: ${e && e.stack ? e.stack : e}`);
    }
  }
  console.log(`RESULT ${passed} ${failed}`);
  process.exit(failed === 0 ? 0 : 1);
})();
