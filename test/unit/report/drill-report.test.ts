import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregate } from '#lab/drill/aggregate.js';
import { drillMarkdown, drillTimelineSvg } from '#lab/drill/report.js';
import { runModelFromDrill } from '#lab/drill/run-model.js';
import type { DrillReport } from '#lab/drill/types.js';
import { runMarkdown } from '#report/render.js';

/** The report of a real planned drill on this machine (npm run drill -- --mode planned). */
const planned = JSON.parse(readFileSync('test/fixtures/drill-report-planned.json', 'utf8')) as DrillReport;

describe('the drill through the shared report', () => {
  it("turns a drill into the run model: the drill's own RTO and RPO, who started it, every state with its outcome", () => {
    // Act
    const model = runModelFromDrill(planned);

    // Assess
    expect(model).toMatchObject({
      source: 'drill',
      outcome: 'succeeded',
      zeroLabel: 'incident',
      zeroAt: planned.incident.at,
      plan: { name: 'drill', rtoTargetSeconds: 30 },
      start: { mode: 'planned', requestedBy: 'drill:operator', trigger: { kind: 'manual' } },
      rto: { ms: planned.rto?.ms, targetSeconds: 30, met: true, until: 'first write on the new primary' },
      rpo: { lostCommits: 0, met: true },
    });
    expect(model.steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Prepare', 'CheckLag', 'Fence', 'Promote', 'UpdateDns', 'Verify', 'client reconnect']),
    );
    const kinds = Object.fromEntries(model.steps.map((s) => [s.name, s.kind]));
    expect(kinds).toMatchObject({
      trigger: 'trigger',
      Prepare: 'task',
      NotifyStarted: 'notify',
      WaitForPromotion: 'wait',
      'client reconnect': 'client',
    });
    expect(model.steps.find((s) => s.name === 'Fence')?.outcome).toMatch(/^fenced/);
    expect(model.nextSteps).toBeUndefined();
  });

  it('writes one Markdown for people: RTO against the target, RPO against the limit, who and why, the timeline', () => {
    // Act
    const run = runMarkdown(runModelFromDrill(planned));
    const md = drillMarkdown([planned], aggregate([planned]), 'npm run drill -- --mode planned');

    // Assess
    expect(run).toMatch(
      /\| \*\*RTO\*\* \| .* against the 30 s target: met \(incident → first write on the new primary\) \|/,
    );
    expect(run).toMatch(
      /\| \*\*RPO\*\* \| 0 of \d+ acknowledged commits missing on the new primary; against the 5 s limit: met \|/,
    );
    expect(run).toContain('| started by | drill:operator (manual: scripts/drill.ts) |');
    expect(run).toContain('| why | drill: planned switchover to the standby region |');
    expect(run).toMatch(/\| Promote \| \+\d+ ms \| \d+ ms \| 1 \| /);
    expect(md).toContain('## The run');
    expect(md).toContain('![timeline](timeline.svg)');
    expect(md).toContain('## Last iteration, measured');
  });

  it('draws the phases on one time axis with the incident and the RTO target marked', () => {
    // Act
    const svg = drillTimelineSvg(planned);

    // Assess
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1000" height="\d+"/);
    expect(svg).toContain('>incident</text>');
    expect(svg).toMatch(/RTO target 30 s/);
    expect(svg).toMatch(/>RTO \d+(\.\d)? (ms|s): first write on the new primary</);
    for (const row of ['Prepare', 'Fence', 'Promote', 'UpdateDns', 'Verify', 'client reconnect', 'RTO']) {
      expect(svg).toContain(`>${row}</text>`);
    }
    expect(svg.match(/<rect /g)?.length).toBeGreaterThan(10);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
