/**
 * IAM that depends on what a plan names, simulated without packaging: the roles infra/wiring.ts builds for a
 * self-managed PostgreSQL plan, resolved as CloudFormation would, against the requests its functions make.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FunctionName } from '#core/stack-names.js';
import { roleLogicalId } from '#infra/roles.js';
import { buildWiring, type Wiring } from '#infra/wiring.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import type { IamRequest } from './iam-requests.js';
import { simulate } from './simulate.js';
import { resolvePolicies, type Template } from './template.js';

const STAGE = 'ci';
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const SECRETS = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret`;
/** The functions that open a PostgreSQL session, so read its credentials. */
const READERS: FunctionName[] = ['checkLag', 'fence', 'promote', 'promotionStatus', 'updateDns', 'readiness'];

/** The wiring of the eu-west-1 stack for the orders plan turned self-managed PostgreSQL, with `database` merged in. */
const wiringWith = (database: Record<string, unknown>): Wiring => {
  const dir = mkdtempSync(join(tmpdir(), 'dr-plan-iam-'));
  try {
    const plan = {
      ...(JSON.parse(JSON.stringify(loadPlanFile('plans/orders.yml'))) as Record<string, unknown>),
      database: {
        kind: 'postgres',
        primary: { host: 'pg-a.example.internal', credentials: { secretsManager: 'dr/orders-primary' } },
        standby: { host: 'pg-b.example.internal', credentials: { secretsManager: 'dr/orders-standby' } },
        ...database,
      },
    };
    writeFileSync(join(dir, 'orders.yml'), JSON.stringify(plan));
    return buildWiring(dir, REGION, STAGE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** What the role of `fn` may do with `request`, as IAM would decide it. */
const verdict = (wiring: Wiring, fn: FunctionName, request: IamRequest) => {
  const resolved = resolvePolicies({ Resources: wiring.resources.Resources } as unknown as Template, REGION, STAGE);
  return simulate(resolved.policiesOf(roleLogicalId(fn)), request, ACCOUNT, resolved.roleArn(roleLogicalId(fn)));
};

const getSecret = (arn: string): IamRequest => ({ action: 'secretsmanager:GetSecretValue', resource: arn });

describe('database credentials in Secrets Manager', () => {
  it.each(READERS)(
    'lets %s read the secret a name refers to (its ARN has a random suffix), not another with that name as prefix',
    async (fn) => {
      // Prepare
      const wiring = wiringWith({});

      // Act
      const own = await verdict(wiring, fn, getSecret(`${SECRETS}:dr/orders-primary-AbC123`));
      const longer = await verdict(wiring, fn, getSecret(`${SECRETS}:dr/orders-primary-admin-XyZ789`));
      const suffixOfSeven = await verdict(wiring, fn, getSecret(`${SECRETS}:dr/orders-primary-AbC1234`));

      // Assess
      expect(own).toBe('Allowed');
      expect(longer).toBe('ImplicitlyDenied');
      expect(suffixOfSeven).toBe('ImplicitlyDenied');
    },
  );

  it('reads a partial ARN (no random suffix) as the secret it names, and a full ARN as exactly itself', async () => {
    // Prepare
    const wiring = wiringWith({
      primary: { host: 'pg-a.example.internal', credentials: { secretsManager: `${SECRETS}:dr/orders-primary` } },
      standby: {
        host: 'pg-b.example.internal',
        credentials: { secretsManager: `${SECRETS}:dr/orders-standby-Q1w2E3` },
      },
    });

    // Act
    const partial = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-primary-AbC123`));
    const partialLonger = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-primary-x-AbC123`));
    const full = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-standby-Q1w2E3`));
    const fullRecreated = await verdict(wiring, 'checkLag', getSecret(`${SECRETS}:dr/orders-standby-Z9x8C7`));

    // Assess
    expect(partial).toBe('Allowed');
    expect(partialLonger).toBe('ImplicitlyDenied');
    expect(full).toBe('Allowed');
    expect(fullRecreated).toBe('ImplicitlyDenied');
  });
});
