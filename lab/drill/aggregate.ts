/** Figures over several drills (median, min, max), and the peers and physical floor the drill's RTO stands beside. */
import type { DrillReport } from './types.js';

/** Peers measured on this machine kind (docs: FIELD-NOTES), for the figures to stand beside. */
export const PEERS = [
  { name: 'Patroni 3.0.2, default timing (ttl 30, loop_wait 10)', rtoSeconds: 25.4, range: '23.1–25.9 s' },
  { name: 'Patroni 3.0.2, aggressive (ttl 6, loop_wait 1, retry_timeout 2)', rtoSeconds: 6.3, range: '5.7–6.6 s' },
  { name: 'pg_auto_failover 2.0, defaults (synchronous, nothing lost)', rtoSeconds: 50.5, range: '' },
] as const;
/** Kill → pg_promote → first write committed, with nothing in between: the physical floor. */
export const PHYSICAL_FLOOR_MS = 109;

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export const spread = (values: readonly number[]): Spread | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number, n: sorted.length };
};

export interface Aggregate {
  iterations: number;
  succeeded: number;
  rtoMs?: Spread;
  detectionMs?: Spread;
  lagCheckMs?: Spread;
  fenceMs?: Spread;
  promotionMs?: Spread;
  dnsSwitchMs?: Spread;
  clientReconnectMs?: Spread;
  overheadMs?: Spread;
  rpoLost?: Spread;
  wallMs?: Spread;
  splitBrainOk: number;
}

/** The spread of what `pick` finds in `items` (items where it finds nothing are left out). */
export const spreadOf = <T>(items: readonly T[], pick: (item: T) => number | undefined): Spread | undefined =>
  spread(items.map(pick).filter((x): x is number => x !== undefined));

export const aggregate = (reports: readonly DrillReport[]): Aggregate => {
  const of = (f: (r: DrillReport) => number | undefined) => spreadOf(reports, f);
  const out: Aggregate = {
    iterations: reports.length,
    succeeded: reports.filter((r) => r.outcome === 'succeeded').length,
    splitBrainOk: reports.filter((r) => r.splitBrain?.ok).length,
  };
  const put = (key: Exclude<keyof Aggregate, 'iterations' | 'succeeded' | 'splitBrainOk'>, s: Spread | undefined) => {
    if (s) out[key] = s;
  };
  put(
    'rtoMs',
    of((r) => r.rto?.ms),
  );
  put(
    'detectionMs',
    of((r) => r.phases.detection?.ms),
  );
  put(
    'lagCheckMs',
    of((r) => r.phases.lagCheck?.ms),
  );
  put(
    'fenceMs',
    of((r) => r.phases.fence?.ms),
  );
  put(
    'promotionMs',
    of((r) => r.phases.promotion?.ms),
  );
  put(
    'dnsSwitchMs',
    of((r) => r.phases.dnsSwitch?.ms),
  );
  put(
    'clientReconnectMs',
    of((r) => r.phases.clientReconnect?.ms),
  );
  put(
    'overheadMs',
    of((r) => r.rto?.overheadMs),
  );
  put(
    'rpoLost',
    of((r) => r.rpo?.lostCount),
  );
  put(
    'wallMs',
    of((r) => r.wallMs),
  );
  return out;
};
