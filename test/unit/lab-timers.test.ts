import { afterEach, describe, expect, it, vi } from 'vitest';
import { notBefore } from '#lab/timers.js';

describe("the lab stand-ins' delays", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs before the due instant by Date.now(), even when the timer fires a millisecond early', async () => {
    // Prepare: the timer fires 30 ms on, while Date.now() reads a millisecond short of it (as a Node timer may)
    vi.useFakeTimers({ now: 1_000_000 });
    const timers = new Set<NodeJS.Timeout>();
    const ran: number[] = [];
    notBefore(1_000_030, () => ran.push(Date.now()), timers);
    vi.setSystemTime(999_999);

    // Act
    await vi.advanceTimersByTimeAsync(30);
    const whenEarly = [...ran];
    const liveWhileWaiting = timers.size;
    await vi.advanceTimersByTimeAsync(1);

    // Assess: waited out the rest, then ran once, at the due instant; no timer left behind
    expect(whenEarly).toEqual([]);
    expect(liveWhileWaiting).toBe(1);
    expect(ran).toEqual([1_000_030]);
    expect(timers.size).toBe(0);
  });

  it('lets a stop clear the one live timer', async () => {
    // Prepare
    vi.useFakeTimers({ now: 0 });
    const timers = new Set<NodeJS.Timeout>();
    const ran: number[] = [];
    notBefore(50, () => ran.push(Date.now()), timers);

    // Act
    for (const t of timers) clearTimeout(t);
    await vi.advanceTimersByTimeAsync(100);

    // Assess
    expect(ran).toEqual([]);
  });
});
