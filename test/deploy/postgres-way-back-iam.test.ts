/**
 * The IAM of the stack in a self-managed PostgreSQL plan's primary region, which runs the plan's way back turned
 * round (`dr-failover failback`), simulated without packaging: the roles infra/wiring.ts builds there, resolved as
 * CloudFormation would, against the requests the run back makes. Its functions read the plan's credentials where the
 * plan keeps them (the standby region), page through the topic that stack creates, and attach to the VPC the plan
 * names there.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { FunctionName } from '#core/stack-names.js';
import { roleLogicalId } from '#infra/roles.js';
import { buildWiring, type Wiring } from '#infra/wiring.js';
import { REGISTRY_PLAN } from '../fixtures/registry-plan.js';
import type { IamRequest } from './iam-requests.js';
import { defaultKeyPolicy, simulate } from './simulate.js';
import { resolvePolicies, type Template } from './template.js';

const STAGE = 'ci';
const PRIMARY = 'eu-central-1';
const STANDBY = 'eu-west-1';
const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:${STANDBY}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** The functions of the run back that open a PostgreSQL session. */
const READERS: FunctionName[] = ['prepare', 'checkLag', 'fence', 'promote', 'promotionStatus', 'updateDns'];

/** The eu-central-1 stack for the registry plan, its primary's secret named by name with the customer's key. */
const wayBackStack = (): Wiring => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-pg-way-back-iam-'));
  try {
    const plan = parseYaml(REGISTRY_PLAN) as { database: Record<string, Record<string, unknown>> };
    const database = {
      ...plan.database,
      primary: { ...plan.database.primary, credentials: { secretsManager: 'dr/registry-primary', kmsKeyArn: KEY } },
      wayBackVpc: { subnetIds: ['subnet-0c0c0c0c0c0c0c0c1'], securityGroupIds: ['sg-0c0c0c0c0c0c0c0c2'] },
    };
    writeFileSync(join(dir, 'model-registry.yml'), JSON.stringify({ ...plan, database }));
    return buildWiring(dir, PRIMARY, STAGE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const verdict = (wiring: Wiring, fn: FunctionName, request: IamRequest) => {
  const resolved = resolvePolicies({ Resources: wiring.resources.Resources } as unknown as Template, PRIMARY, STAGE);
  const role = roleLogicalId(fn);
  const keyPolicy = request.action.startsWith('kms:') ? defaultKeyPolicy(ACCOUNT) : undefined;
  return simulate(resolved.policiesOf(role), request, ACCOUNT, resolved.roleArn(role), keyPolicy);
};

const secret = (region: string, name: string) => ({
  action: 'secretsmanager:GetSecretValue',
  resource: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}`,
});
const decrypt = (via: string): IamRequest => ({
  action: 'kms:Decrypt',
  resource: KEY,
  context: { 'kms:ViaService': via },
});

describe(`the way back of a self-managed PostgreSQL plan, run by the stack in ${PRIMARY}, simulated`, () => {
  it.each(READERS)('lets %s read both secrets in the standby region, and the same names nowhere else', async (fn) => {
    // Prepare
    const wiring = wayBackStack();

    // Act
    const named = await verdict(wiring, fn, secret(STANDBY, 'dr/registry-primary-AbC123'));
    const byArn = await verdict(wiring, fn, secret(STANDBY, 'model-registry/dr-failover-Q1w2E3'));
    const here = await verdict(wiring, fn, secret(PRIMARY, 'dr/registry-primary-AbC123'));
    const longer = await verdict(wiring, fn, secret(STANDBY, 'dr/registry-primary-admin-AbC123'));

    // Assess
    expect([named, byArn]).toEqual(['Allowed', 'Allowed']);
    expect([here, longer]).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied']);
  });

  it.each(READERS)(
    "lets %s decrypt with the secret's key through Secrets Manager in the key's region only",
    async (fn) => {
      // Prepare
      const wiring = wayBackStack();

      // Act
      const there = await verdict(wiring, fn, decrypt(`secretsmanager.${STANDBY}.amazonaws.com`));
      const here = await verdict(wiring, fn, decrypt(`secretsmanager.${PRIMARY}.amazonaws.com`));
      const viaS3 = await verdict(wiring, fn, decrypt(`s3.${STANDBY}.amazonaws.com`));

      // Assess
      expect(there).toBe('Allowed');
      expect([here, viaS3]).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied']);
    },
  );

  it("lets the notifiers page the plan's topic in the primary region, and nothing else read the secrets", async () => {
    // Prepare
    const wiring = wayBackStack();
    const publish = (region: string) => ({
      action: 'sns:Publish',
      resource: `arn:aws:sns:${region}:${ACCOUNT}:dr-failover-oncall`,
    });

    // Act
    const pages = await Promise.all([
      verdict(wiring, 'notify', publish(PRIMARY)),
      verdict(wiring, 'runEnded', publish(PRIMARY)),
    ]);
    // SNS takes a Publish in the topic's own region: the standby region's topic is that stack's.
    const theirs = await verdict(wiring, 'notify', publish(STANDBY));
    const others = await Promise.all(
      (['notify', 'verify', 'trigger'] as const).map((fn) =>
        verdict(wiring, fn, secret(STANDBY, 'dr/registry-primary-AbC123')),
      ),
    );

    // Assess
    expect(pages).toEqual(['Allowed', 'Allowed']);
    expect(theirs).toBe('ImplicitlyDenied');
    expect(new Set(others)).toEqual(new Set(['ImplicitlyDenied']));
  });
});
