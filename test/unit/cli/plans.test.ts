import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, sfn } from './support.js';

describe('dr-failover plans', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dr-failover-plans-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    sfn.reset();
  });

  it('lists every plan with its regions, RTO target, RPO limit and trigger', async () => {
    // Act
    const out = await cli(['plans']);

    // Assess
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^plan\s+database\s+regions\s+RTO target\s+RPO limit\s+lag exceeded\s+trigger$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^orders\s+aurora-global\s+us-east-1 → eu-west-1\s+300 s\s+30 s\s+abort\s+automatic: orders-db-primary-unhealthy/,
      ),
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('prints the plans as JSON with --json', async () => {
    // Act
    const out = await cli(['plans', '--json']);

    // Assess
    const plans = JSON.parse(out.stdout) as { name: string; standbyRegion: string }[];
    expect(plans.map((p) => [p.name, p.standbyRegion])).toEqual([
      ['feature-store', 'us-east-2'],
      ['ml-platform', 'us-east-2'],
      ['orders', 'eu-west-1'],
    ]);
  });

  it('validates every plan of the folder', async () => {
    // Act
    const out = await cli(['plans', 'validate']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/✓ plans\/orders.yml \(plan orders\)/);
    expect(out.stdout).toMatch(/3 plan\(s\) valid/);
  });

  it('prints the path of every problem of a bad plan and exits 2', async () => {
    // Prepare: two mistakes in a copy of a shipped plan.
    const bad = join(dir, 'orders.yml');
    writeFileSync(
      bad,
      readFileSync('plans/orders.yml', 'utf8')
        .replace('ttl: 30', 'ttl: -5')
        .replace('targetSeconds: 300', 'targetSeconds: soon'),
    );

    // Act
    const out = await cli(['plans', 'validate', bad]);
    const json = await cli(['plans', 'validate', bad, '--json']);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stdout).toContain(`✗ ${bad}`);
    expect(out.stdout).toMatch(/ {4}dns\.ttl: Too small/);
    expect(out.stdout).toMatch(/ {4}rto\.targetSeconds: /);
    expect(out.stdout).toMatch(/1 of 1 plan\(s\) invalid/);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, files: [{ file: bad, valid: false }] });
    expect(json.code).toBe(2);
  });

  it('finds two files naming the same plan in a folder', async () => {
    // Prepare
    copyFileSync('plans/orders.yml', join(dir, 'a.yml'));
    copyFileSync('plans/orders.yml', join(dir, 'b.yml'));

    // Act
    const out = await cli(['plans', 'validate', '--plans-dir', dir]);
    const list = await cli(['plans', '--plans-dir', dir]);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stdout).toMatch(/name: duplicate plan name orders \(also in .*a\.yml\)/);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(
      /^dr-failover: invalid plan .*b\.yml: name: duplicate plan name orders \(run `dr-failover plans validate`/,
    );
  });
});
