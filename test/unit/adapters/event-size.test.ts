import { describe, expect, it } from 'vitest';
import { withinEventLimit } from '#adapters/notify/event-size.js';
import type { FailoverEvent } from '#core/ports.js';

const event = (detail: Record<string, unknown>): FailoverEvent => ({
  type: 'Failover Failed',
  plan: 'orders',
  executionId: 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:orders-manual-1',
  mode: 'planned',
  dryRun: false,
  requestedBy: 'oncall:ana',
  reason: 'regional rotation',
  summary: 'planned failover of orders failed',
  detail,
  occurredAt: '2026-12-07T10:30:00.000Z',
});
const size = (e: FailoverEvent) => Buffer.byteLength(JSON.stringify(e), 'utf8');

describe('withinEventLimit', () => {
  it('drops the earliest timeline entries first, keeping as many of the newest as fit', () => {
    // Prepare
    const timeline = Array.from({ length: 100 }, (_, i) => ({ step: 'PromotionStatus', outcome: `check ${i}` }));
    const big = event({ error: 'PromotionTimedOutError', timeline });

    // Act
    const fitted = withinEventLimit(big, 2_000);

    // Assess
    const kept = fitted.detail.timeline as { outcome: string }[];
    expect(size(fitted)).toBeLessThanOrEqual(2_000);
    expect(kept.at(-1)?.outcome).toBe('check 99');
    const omitted = (n: number) =>
      `${n} earliest of 100 entries left out to fit EventBridge's 256 KB limit; the execution history has them all`;
    expect(fitted.detail.timelineOmitted).toBe(omitted(100 - kept.length));
    const oneMore = event({
      ...big.detail,
      timeline: timeline.slice(100 - kept.length - 1),
      timelineOmitted: omitted(100 - kept.length - 1),
    });
    expect(size(oneMore)).toBeGreaterThan(2_000);
  });

  it('cuts long strings when the timeline alone is not enough, keeping the error name', () => {
    // Prepare
    const big = event({
      error: 'FenceFailedError',
      message: 'x'.repeat(50_000),
      stateOfTheWorld: ['y'.repeat(50_000)],
    });

    // Act
    const fitted = withinEventLimit(big, 20_000);

    // Assess
    expect(size(fitted)).toBeLessThanOrEqual(20_000);
    expect(fitted.detail.error).toBe('FenceFailedError');
    expect(String(fitted.detail.message)).toMatch(/^x+\.\.\. \[cut to fit EventBridge's 256 KB limit\]$/);
  });

  it('keeps only the error when nothing else fits, and says where the rest is', () => {
    // Prepare: ten thousand short strings: no cut of long strings helps.
    const big = event({ error: 'DnsSyncTimedOutError', notes: Array.from({ length: 10_000 }, (_, i) => `note ${i}`) });

    // Act
    const fitted = withinEventLimit(big, 1_000);

    // Assess
    expect(size(fitted)).toBeLessThanOrEqual(1_000);
    expect(fitted.detail).toEqual({
      error: 'DnsSyncTimedOutError',
      detailOmitted: 'too large for EventBridge; see the execution history',
    });
  });
});
