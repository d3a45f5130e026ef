/**
 * `npm run drill -- --plan ml-platform --round-trip` is refused, with the reason, before anything starts: the round
 * trip's way back rebuilds and fails back the registry's pair only.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundTripRefusal } from '#lab/drill/round-trip.js';
import { runRoundTrip } from '#lab/drill/run-drill.js';
import type { DrillProgress } from '#lab/drill/types.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the round trip with the ML platform', { timeout: 120_000 }, () => {
  it('is refused with its reason before any server starts; the database plan is not', async () => {
    // Prepare
    const progress: DrillProgress[] = [];

    // Act
    const refused = runRoundTrip({ platform: 'ml-platform', onProgress: (p) => progress.push(p) });

    // Assess
    await expect(refused).rejects.toThrow(new TypeError(roundTripRefusal('ml-platform')));
    expect(roundTripRefusal('ml-platform')).toMatch(/^--round-trip does not run --plan ml-platform yet: /);
    expect(progress).toEqual([]);
    expect(roundTripRefusal('database')).toBeUndefined();
    expect(roundTripRefusal(undefined)).toBeUndefined();
  });

  it('npm run drill -- --plan ml-platform --round-trip exits 2 with that reason and the usage', () => {
    // Act
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/drill.ts', '--plan', 'ml-platform', '--round-trip'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 100_000,
      },
    );

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`drill: ${roundTripRefusal('ml-platform')}\n\nUsage: npm run drill`);
    expect(run.stderr).toContain('Run the ML platform one way (--mode unplanned or planned)');
    expect(run.stdout).toBe('');
  });
});
