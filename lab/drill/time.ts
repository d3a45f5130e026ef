/** The drill's clock: epoch milliseconds with sub-millisecond resolution, as every measure it reports uses. */
import { performance } from 'node:perf_hooks';

export const clock = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
export const round = (n: number) => Math.round(n);

/** Milliseconds from `origin` to `t`, rounded: the drill reports every instant relative to its incident. */
export const since = (origin: number) => (t: number) => round(t - origin);
