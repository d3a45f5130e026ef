import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RoundTripReport } from '#lab/drill/round-trip.js';
import { roundTripMarkdown, roundTripSummary } from '#lab/drill/round-trip-report.js';
import { roundTripTimeline, roundTripTimelineSvg } from '#lab/drill/round-trip-timeline.js';

/** A real round trip on this machine (npm run drill -- --round-trip) whose first leg lost three acknowledged commits. */
const trip = JSON.parse(readFileSync('test/fixtures/round-trip-report.json', 'utf8')) as RoundTripReport;
const back = trip.back as NonNullable<RoundTripReport['back']>;

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

  it('draws both legs on one timeline from the kill, each with its RTO, the failback request marked', () => {
    // Prepare: the return began 4 s after the kill and took 2.5 s; the rebuild began at 6.5 s (what the drill records)
    const kill = Date.parse(trip.out.incident.at);
    const timed: RoundTripReport = {
      ...trip,
      ...(trip.returned ? { returned: { ...trip.returned, at: new Date(kill + 4000).toISOString(), ms: 2500 } } : {}),
      ...(trip.rebuild ? { rebuild: { ...trip.rebuild, at: new Date(kill + 6500).toISOString() } } : {}),
    };
    const backAt = Date.parse(back.incident.at) - kill;

    // Act
    const { model, extras } = roundTripTimeline(timed);
    const svg = roundTripTimelineSvg(timed);

    // Assess: the way back's steps sit after its request, on the kill's time axis
    const step = (name: string) => model.steps.find((s) => s.name === name);
    expect(step('out · Promote')?.startMs).toBeLessThan(4000);
    expect(step('old primary back, fenced; ledger')).toMatchObject({ startMs: 4000, endMs: 6500 });
    expect(step('rebuilt as standby, lag 0')).toMatchObject({ startMs: 6500, endMs: 6500 + 3207 });
    expect(step('back · Promote')?.startMs).toBeGreaterThan(backAt);
    expect(backAt).toBeGreaterThan(6500 + 3207);
    expect(extras).toEqual({
      rtos: [
        { row: 'RTO out', startMs: 0, ms: trip.out.rto?.ms },
        { row: 'RTO back', startMs: backAt, ms: back.rto?.ms },
      ],
      marks: [{ atMs: backAt, label: 'failback requested' }],
    });
    expect(svg).toContain(
      `<title>round trip succeeded: out RTO ${trip.out.rto?.ms} ms, RPO 3/84 · back RTO ${back.rto?.ms} ms, RPO 0/374 · ledger agrees with the workload</title>`,
    );
    for (const row of [
      'out · detection',
      'back · Fence',
      'RTO out',
      'RTO back',
      'failback requested',
      'primary killed',
    ]) {
      expect(svg).toContain(`>${row}</text>`);
    }
    // Each leg has its own target, in the report: no single target line from the kill
    expect(svg).not.toContain('RTO target');
    expect(roundTripMarkdown(timed, 'x')).toContain('![Both legs on one timeline, from the kill](timeline.svg)');
  });

  it('leaves out what a report does not time, and a leg not reached', () => {
    // Prepare
    const { back: _back, ...rest } = trip;

    // Act
    const { model, extras } = roundTripTimeline({ ...rest, outcome: 'failed' });
    const svg = roundTripTimelineSvg({ ...rest, outcome: 'failed' });

    // Assess
    expect(model.steps.every((s) => s.name.startsWith('out · '))).toBe(true);
    expect(extras).toEqual({ rtos: [{ row: 'RTO out', startMs: 0, ms: trip.out.rto?.ms }], marks: [] });
    expect(svg).toContain('round trip failed: out RTO');
    expect(svg).toContain('· back not reached');
  });
});
