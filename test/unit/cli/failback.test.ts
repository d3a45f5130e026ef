import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACCOUNT, cli, NOW, sfn } from './support.js';

/** A self-managed pair written us-east-1 → eu-west-1. */
const LEDGER = {
  name: 'ledger',
  accountId: ACCOUNT,
  regions: { primary: 'us-east-1', standby: 'eu-west-1' },
  trigger: {},
  rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
  rto: { targetSeconds: 60 },
  database: {
    kind: 'postgres',
    primary: { host: '10.0.1.10', credentials: { secretsManager: 'dr/ledger-db' } },
    standby: { host: '10.1.1.10', credentials: { secretsManager: 'dr/ledger-db' } },
  },
  dns: {
    kind: 'route53',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    zoneName: 'ledger.example.internal',
    recordName: 'db.ledger.example.internal',
    recordType: 'A',
    ttl: 30,
  },
  notify: { eventBus: 'dr-failover' },
};

describe('dr-failover failback', () => {
  let plansDir: string;

  beforeAll(async () => {
    plansDir = await fs.mkdtemp(path.join(tmpdir(), 'dr-failback-plans-'));
    await fs.writeFile(path.join(plansDir, 'ledger.yml'), stringify(LEDGER));
    await fs.copyFile('plans/orders.yml', path.join(plansDir, 'orders.yml'));
    // The orders plan moving traffic by a take-over health check: its alarm only moves traffic to the standby.
    const orders = parse(await fs.readFile('plans/orders.yml', 'utf8')) as Record<string, unknown>;
    await fs.writeFile(
      path.join(plansDir, 'orders-hc.yml'),
      stringify({
        ...orders,
        name: 'orders-hc',
        traffic: {
          kind: 'health-check',
          records: ['db.orders.example.internal'],
          healthCheckId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
          alarm: { name: 'orders-take-over', namespace: 'DrFailover/Traffic', metricName: 'TakeOver' },
        },
      }),
    );
  });
  afterAll(async () => {
    await fs.rm(plansDir, { recursive: true, force: true });
  });
  afterEach(() => {
    sfn.reset();
  });

  it("starts a planned run of kind failback in the plan's primary region, the way back", async () => {
    // Prepare
    const arn = `arn:aws:states:us-east-1:${ACCOUNT}:execution:dr-failover-dev:ledger-failback-20261125T0315Z`;
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });

    // Act
    const out = await cli(
      [
        'failback',
        '--plan',
        'ledger',
        '--reason',
        'eu-west-1 rebuilt; back home',
        '--requested-by',
        'ana',
        '--no-watch',
      ],
      { env: { PLANS_DIR: plansDir } },
    );

    // Assess
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.regions[0]).toBe('us-east-1');
    const sent = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({
      stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:dr-failover-dev`,
      name: 'ledger-failback-20261125T0315Z',
    });
    expect(JSON.parse(sent?.input ?? '')).toEqual({
      plan: 'ledger',
      mode: 'planned',
      dryRun: false,
      reason: 'eu-west-1 rebuilt; back home',
      requestedBy: 'ana',
      incidentStartedAt: NOW.toISOString(),
      overrideCooldown: false,
      trigger: { kind: 'failback', source: 'dr-failover CLI' },
    });
    expect(out.stdout).toContain('planned failback of ledger (eu-west-1 → us-east-1)');
  });

  it("starts an Aurora plan's way back in its primary region, towards the old primary", async () => {
    // Prepare
    const arn = `arn:aws:states:us-east-1:${ACCOUNT}:execution:dr-failover-dev:orders-failback-20261125T0315Z`;
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: NOW });

    // Act
    const out = await cli(['failback', '--plan', 'orders', '--reason', 'r', '--no-watch'], {
      env: { PLANS_DIR: plansDir },
    });

    // Assess
    expect(out.stderr).toBe('');
    expect(out.regions[0]).toBe('us-east-1');
    expect(out.stdout).toContain('planned failback of orders (eu-west-1 → us-east-1)');
  });

  it('refuses a plan that cannot be turned round, sending nothing (exit 2)', async () => {
    // Act
    const out = await cli(['failback', '--plan', 'orders-hc', '--reason', 'r'], { env: { PLANS_DIR: plansDir } });

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/not possible with traffic.kind health-check/);
    expect(out.stderr).toContain('nothing was started');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses bad input with the field, sending nothing (exit 2)', async () => {
    // Act
    const out = await cli(['failback', '--plan', 'ledger', '--reason', ''], { env: { PLANS_DIR: plansDir } });

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/invalid input: reason: must not be empty/);
    expect(sfn.calls()).toHaveLength(0);
  });
});
