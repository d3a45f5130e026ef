import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsRequestFailedError } from '#core/errors.js';
import type { ReadinessProbes, StackNames } from '#core/ports.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { healthyFailoverRecords } from '../../fixtures/failover-records.js';
import { ANSI, cli, NOW } from './support.js';

const WRITER = 'orders-us.cluster-abc123.us-east-1.rds.amazonaws.com';

/** The plan's world, read through the readiness port: everything healthy unless told otherwise. */
const healthy = (over: Partial<ReadinessProbes> = {}): ReadinessProbes => ({
  standby: async () => ({
    exists: true,
    role: 'replica',
    state: 'available',
    replication: 'connected',
    detail: 'orders-eu',
  }),
  replicationLag: async () => ({ status: 'known', seconds: 2, observedAt: NOW.toISOString(), source: 'cloudwatch' }),
  backup: async () => ({
    kind: 'found',
    newestAt: new Date(NOW.getTime() - 3_600_000),
    source: 'snapshot',
    detail: '',
  }),
  writer: async () => ({ role: 'primary', endpoints: [WRITER], forbidden: [], detail: 'orders-us writes' }),
  dnsRecord: async () => ({ values: [WRITER], detail: 'CNAME' }),
  alarms: async () => [],
  stateMachine: async () => ({ name: 'dr-failover-dev', exists: true, state: 'ACTIVE' }),
  functions: async () => [{ name: 'dr-failover-dev-promote', exists: true, state: 'Active', lastUpdate: 'Successful' }],
  failoverRecords: async () => healthyFailoverRecords(loadPlanFile('plans/orders.yml')),
  // The plan has no components: a component read would be a bug.
  component: async (c) => {
    throw new Error(`no component ${c.name} in this plan`);
  },
  traffic: async () => ({
    controls: { primary: 'On', standby: 'Off' },
    endpoints: [{ region: 'us-west-2', answered: true }],
    detail: 'routing controls primary On, standby Off',
  }),
  ...over,
});

describe('dr-failover readiness', () => {
  it('runs every check against the deployed stack names and prints a table', async () => {
    // Prepare
    const asked: StackNames[] = [];

    // Act
    const out = await cli(['readiness', '--plan', 'orders', '--stage', 'prod'], {
      readinessProbes: async (_plan, stack) => {
        asked.push(stack);
        return healthy();
      },
    });

    // Assess
    expect(asked[0]).toMatchObject({
      stage: 'prod',
      stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-prod',
      triggerFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:dr-failover-prod-trigger',
    });
    expect(asked[0]?.functionNames).toContain('dr-failover-prod-promote');
    expect(asked[0]?.functionNames).not.toContain('dr-failover-prod-readiness');
    const lines = out.stdout.split('\n');
    expect(lines[0]).toMatch(/^orders: DR readiness (OK|WARN) /);
    expect(lines).toContainEqual(expect.stringMatching(/^check\s+status\s+where\s+took\s+summary$/));
    expect(lines).toContainEqual(expect.stringMatching(/^standby\s+OK\s+standby\s+\d+ ms\s+\S/));
    expect(lines).toContainEqual(expect.stringMatching(/^state-machine\s+OK\s+standby /));
    expect(out.stdout).not.toMatch(ANSI);
  });

  it('exits 1 and says which check is CRITICAL, with --json for scripts', async () => {
    // Prepare
    const probes = async () =>
      healthy({
        replicationLag: async () => ({ status: 'unknown', observedAt: NOW.toISOString(), source: 'cloudwatch' }),
        stateMachine: async () => {
          throw new AwsRequestFailedError('DescribeStateMachine: AccessDeniedException');
        },
      });

    // Act
    const text = await cli(['readiness', '--plan', 'orders'], { readinessProbes: probes });
    const json = await cli(['readiness', '--plan', 'orders', '--json'], { readinessProbes: probes });

    // Assess
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^orders: DR readiness CRITICAL/);
    expect(text.stdout).toMatch(/\nreplication-lag\s+CRITICAL\s+standby /);
    expect(text.stdout).toMatch(/\nstate-machine\s+CRITICAL\s+standby /);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { status: string; checks: { check: string; status: string }[] };
    expect(report.status).toBe('CRITICAL');
    expect(report.checks.find((c) => c.check === 'state-machine')?.status).toBe('CRITICAL');
  });

  it('runs only the checks named with --check, and refuses an unknown one (exit 2)', async () => {
    // Act
    const some = await cli(['readiness', '--plan', 'orders', '--check', 'standby,backup', '--json'], {
      readinessProbes: async () => healthy(),
    });
    const unknown = await cli(['readiness', '--plan', 'orders', '--check', 'vibes'], {
      readinessProbes: async () => healthy(),
    });

    // Assess
    expect((JSON.parse(some.stdout) as { checks: { check: string }[] }).checks.map((c) => c.check).sort()).toEqual([
      'backup',
      'standby',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown check "vibes": the checks are standby, replication-lag.*, component:<name>/,
    );
  });

  it("runs a plan component's check by its name, and refuses a component the plan does not have (exit 2)", async () => {
    // Prepare
    const read: string[] = [];
    const probes = async () =>
      healthy({
        component: async (c) => {
          read.push(c.name);
          return { kind: 'custom-action', function: { ok: true, value: { name: c.name, exists: false } } };
        },
      });

    // Act
    const one = await cli(['readiness', '--plan', 'ml-platform', '--check', 'component:warm-feature-cache'], {
      readinessProbes: probes,
    });
    const missing = await cli(['readiness', '--plan', 'ml-platform', '--check', 'component:nope'], {
      readinessProbes: probes,
    });
    const none = await cli(['readiness', '--plan', 'orders', '--check', 'component:serving'], {
      readinessProbes: probes,
    });

    // Assess
    expect(read).toEqual(['warm-feature-cache']);
    expect(one.code).toBe(1);
    expect(one.stdout).toMatch(
      /\ncomponent:warm-feature-cache\s+CRITICAL\s+standby\s+\d+ ms\s+custom-action, stage 2: /,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'plan ml-platform has no component:nope: its component checks are component:model-artifacts',
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('plan orders has no component:serving: it has no components');
  });

  it('refuses an unknown plan before reading anything (exit 2)', async () => {
    // Prepare
    let probed = false;

    // Act
    const out = await cli(['readiness', '--plan', 'billing'], {
      readinessProbes: async () => {
        probed = true;
        return healthy();
      },
    });

    // Assess
    expect(out.code).toBe(2);
    expect(probed).toBe(false);
  });

  it('says which plan file is broken when the plans directory holds one (exit 2, nothing read)', async () => {
    // Prepare: the deployed plans, and one file that is not a plan.
    const dir = mkdtempSync(path.join(tmpdir(), 'plans-'));
    for (const file of readdirSync('plans')) copyFileSync(path.join('plans', file), path.join(dir, file));
    writeFileSync(path.join(dir, 'broken.yml'), 'name: broken\nregions: { primary: us-east-1 }\n');
    let probed = false;

    // Act
    const out = await cli(['readiness', '--plan', 'orders'], {
      env: { PLANS_DIR: dir },
      readinessProbes: async () => {
        probed = true;
        return healthy();
      },
    });

    // Assess
    expect(out.code).toBe(2);
    expect(probed).toBe(false);
    expect(out.stderr).toContain(`invalid plan ${path.join(dir, 'broken.yml')}: regions.standby:`);
    expect(out.stderr).toContain('fix it or move it out of the plans directory');
    expect(out.stderr).not.toContain('internal error');
  });

  it('fits the table to the terminal: long summaries cut with …, whole in --json and when not on a terminal', async () => {
    // Prepare: an access-denied check whose summary is ~300 characters.
    const denied = `User: arn:aws:sts::111122223333:assumed-role/ReadOnly/alice is not authorized to perform: rds:DescribeDBClusters on resource: arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu because no identity-based policy allows the rds:DescribeDBClusters action`;
    const probes = async () =>
      healthy({
        standby: async () => {
          throw new AwsRequestFailedError(`DescribeDBClusters failed: AccessDeniedException: ${denied}`);
        },
      });

    // Act
    const narrow = await cli(['readiness', '--plan', 'orders'], { tty: true, columns: 100, readinessProbes: probes });
    const piped = await cli(['readiness', '--plan', 'orders'], { readinessProbes: probes });
    const json = await cli(['readiness', '--plan', 'orders', '--json'], {
      tty: true,
      columns: 100,
      readinessProbes: probes,
    });

    // Assess
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the colour codes are not part of the width
    const visible = (l: string) => l.replace(/\x1b\[\d+m/g, '');
    const lines = narrow.stdout.trimEnd().split('\n').slice(2);
    for (const line of lines) expect(visible(line).length).toBeLessThanOrEqual(100);
    expect(lines.find((l) => l.startsWith('standby'))).toMatch(/…$/);
    expect(lines.at(-1)).toBe("(summary cut to the terminal's 100 columns: --json has the whole text)");
    expect(piped.stdout).toContain(denied);
    expect(piped.stdout).not.toMatch(/cut to the terminal/);
    const report = JSON.parse(json.stdout) as { checks: { check: string; summary: string }[] };
    expect(report.checks.find((c) => c.check === 'standby')?.summary).toContain(denied);
  });
});
