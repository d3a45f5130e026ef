import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTripReport } from '#lab/drill/round-trip.js';
import {
  cycleLine,
  cycleOf,
  type RoundTripCycle,
  soakRoundTrips,
  summarizeRoundTrips,
  summaryLines,
} from '#lab/drill/soak-round-trip.js';

/** A real round trip on this machine (npm run drill -- --round-trip) whose first leg lost three acknowledged commits. */
const trip = JSON.parse(readFileSync('test/fixtures/round-trip-report.json', 'utf8')) as RoundTripReport;
const back = trip.back as NonNullable<RoundTripReport['back']>;

const good = (cycle: number): RoundTripCycle => cycleOf(cycle, trip, 20_000, 200);

describe('the soak with round trips', () => {
  it('takes each leg’s RTO and RPO, the ledger against the workload and the watch from a round trip', () => {
    // Act
    const c = good(1);

    // Assess
    expect(c).toMatchObject({
      cycle: 1,
      outcome: 'succeeded',
      out: { outcome: 'succeeded', rtoMs: trip.out.rto?.ms, rpoLost: 3, acknowledged: 84 },
      back: { outcome: 'succeeded', rtoMs: back.rto?.ms, rpoLost: 0, acknowledged: 374 },
      ledger: { acknowledgedLost: [82, 83, 84], inDoubt: [], workloadLost: [82, 83, 84], matches: true },
      returnedFenced: true,
      rebuildMs: 3207,
      catchUpMs: 199,
      writers: { samples: 114, bothWritable: 0 },
    });
    expect(c.out.rpoSpanMs).toBe(trip.out.rpo?.spanMs?.ms);
    expect(cycleLine(c, 3)).toMatch(/^cycle {2}1\/3 succeeded .*RPO 3\/84 {2}ledger agrees \(3 lost\) .*RPO 0\/374 /);
  });

  it('passes when every cycle came back losing nothing, the ledgers agreed and two nodes were never writable', () => {
    // Act
    const s = summarizeRoundTrips([good(1), good(2)]);

    // Assess
    expect(s).toMatchObject({ cycles: 2, succeeded: 2, backLostPerCycle: [0, 0], backLosses: 0, ok: true });
    expect(s.out.rpoLost).toEqual({ median: 3, min: 3, max: 3, n: 2 });
    expect(s.back.rtoMs?.median).toBe(back.rto?.ms);
    expect(summaryLines(s, 41.2, 'bench/x.json').join('\n')).toContain('back RPO per cycle (must be 0)     0 0');
  });

  it.each([
    [
      'a failback that lost an acknowledged commit',
      { ...trip, back: { ...back, rpo: { ...(back.rpo as NonNullable<typeof back.rpo>), lostCount: 1 } } },
      { backLosses: 1 },
    ],
    ['a failback whose loss was not counted', { ...trip, back: { ...back, rpo: undefined } }, { backLosses: 1 }],
    [
      'a ledger that disagrees with the workload',
      { ...trip, ledgerCheck: { ...trip.ledgerCheck, matches: false } },
      { ledgerMismatches: 1 },
    ],
    [
      'two writable nodes in one sample',
      { ...trip, writers: { ...trip.writers, bothWritable: 1 } },
      { bothWritableSamples: 1 },
    ],
  ])('fails on %s', (_what, report, expected) => {
    // Act
    const s = summarizeRoundTrips([good(1), cycleOf(2, report as RoundTripReport, 1, 1)]);

    // Assess
    expect(s).toMatchObject({ ...expected, ok: false });
  });

  it('counts a cycle that threw as crashed and goes on with the next', async () => {
    // Prepare
    let calls = 0;
    const seen: number[] = [];
    const run = async () => {
      calls += 1;
      if (calls === 2) throw new Error('failback refused: 127.0.0.1 is 8192 bytes behind');
      return trip;
    };

    // Act
    const cycles = await soakRoundTrips(3, {}, run, (c) => seen.push(c.cycle));
    const s = summarizeRoundTrips(cycles);

    // Assess
    expect(seen).toEqual([1, 2, 3]);
    expect(cycles.map((c) => c.outcome)).toEqual(['succeeded', 'crashed', 'succeeded']);
    expect(cycles[1]).toMatchObject({
      error: 'Error: failback refused: 127.0.0.1 is 8192 bytes behind',
      back: { outcome: 'not reached' },
    });
    expect(s).toMatchObject({ succeeded: 2, backLostPerCycle: [0, null, 0], backLosses: 0, ok: false });
    expect(summaryLines(s, 1, 'x').join('\n')).toContain('SOAK FAILED');
  });

  it('does not pass with no cycle at all', () => {
    expect(summarizeRoundTrips([]).ok).toBe(false);
  });
});
