import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTripReport } from '#lab/drill/round-trip.js';
import { roundTripMarkdown, roundTripSummary } from '#lab/drill/round-trip-report.js';

/** A real round trip on this machine (npm run drill -- --round-trip) whose first leg lost three acknowledged commits. */
const trip = JSON.parse(readFileSync('test/fixtures/round-trip-report.json', 'utf8')) as RoundTripReport;

describe('the round-trip report', () => {
  it('shows both legs with their RTO and RPO, and the ledger row by row beside the workload ids', () => {
    // Act
    const md = roundTripMarkdown(trip, 'npm run drill -- --round-trip');

    // Assess
    expect(md).toContain('# Round-trip drill: succeeded');
    expect(md).toContain(`| out | unplanned | succeeded | ${trip.out.rto?.ms} ms | 3 of 84 |`);
    expect(md).toContain(`| back | planned | succeeded | ${trip.back?.rto?.ms} ms | 0 of 374 |`);
    for (const [xid, id] of [
      ['836', 82],
      ['837', 83],
      ['838', 84],
    ]) {
      expect(md).toMatch(new RegExp(`\\| ${xid} \\| 0/3055[0-9A-F]+ \\| 2026-12-07 [0-9:.+]+ \\| ${id} \\| yes \\|`));
    }
    expect(md).toContain('Writable nodes: 0 of 114 samples had two.');
  });

  it('says in the summary where the old primary was kept and that the ledger and the workload agree', () => {
    // Act
    const text = roundTripSummary(trip, 'drill-report/x');

    // Assess
    expect(text).toContain('══ round trip: SUCCEEDED');
    expect(text).toContain(`its data directory preserved at ${trip.returned?.preservedDataDir}`);
    expect(text).toContain(
      "3 acknowledged commit(s) lost in the ledger [82, 83, 84], 0 unacknowledged; the workload's record says 3 lost: they agree",
    );
    expect(text).toMatch(/── back \(planned\): SUCCEEDED/);
    expect(text).toContain('writable nodes: never two in 114 samples');
  });

  it('says what a leg that was not reached is, and an empty ledger', () => {
    // Prepare
    const { back: _back, ledger, ...rest } = trip;
    const failed: RoundTripReport = {
      ...rest,
      outcome: 'failed',
      ...(ledger ? { ledger: { ...ledger, transactions: [] } } : {}),
    };

    // Act
    const md = roundTripMarkdown(failed, 'npm run drill -- --round-trip');
    const text = roundTripSummary(failed);

    // Assess
    expect(md).toContain('| back | — | not reached | — | — |');
    expect(md).toContain('No transaction after the fork.');
    expect(text).toContain('── back: not reached');
  });
});
