/**
 * The lab's online-feature table: a stand-in of a DynamoDB global table with a replica in each Region. A writer puts
 * a feature item into the primary Region's replica every `writeIntervalMs`; each item appears in the standby's
 * replica `delayMs` later. Its ReplicationLatency is what DynamoDB publishes for the source and receiving Region
 * pair: "the elapsed time between when an item is written to a replica table, and when that item appears in another
 * replica in the global table", in milliseconds (DynamoDB Developer Guide, Monitoring global tables,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html). `stop()` is the
 * primary Region going dark: items not yet replicated never arrive, and nothing is measured any more.
 */
import { notBefore } from '../timers.js';

export interface FeatureTable {
  /** ReplicationLatency (ms): the largest of the last second's replicated items; undefined when none, or stopped. */
  replicationLatencyMs(): number | undefined;
  /** Writes made in the primary Region, writes that reached the standby's replica, items the standby holds. */
  counts(): { written: number; replicated: number; standbyItems: number };
  stop(): void;
  /** Stops writing and waits for the writes in flight to arrive (a planned end: the primary Region stays up). */
  drain(): Promise<void>;
}

/** How far back ReplicationLatency looks: the lab's period, shortened as the drill's waits are. */
const WINDOW_MS = 1000;

export const startFeatureTable = (opts: { delayMs: number; writeIntervalMs: number }): FeatureTable => {
  const primary = new Map<string, number>();
  const standby = new Map<string, number>();
  const replicated: { at: number; latencyMs: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let n = 0;
  let arrived = 0;

  const write = () => {
    // Fifty users' feature items, each rewritten in turn.
    const key = `user#${(n++ % 50) + 1}`;
    const writtenAt = Date.now();
    primary.set(key, writtenAt);
    // Never before its delay: the standby never holds an item sooner than DynamoDB would.
    notBefore(
      writtenAt + opts.delayMs,
      () => {
        const at = Date.now();
        standby.set(key, writtenAt);
        arrived += 1;
        replicated.push({ at, latencyMs: at - writtenAt });
        while ((replicated[0]?.at ?? at) < at - WINDOW_MS) replicated.shift();
      },
      timers,
    );
  };
  const writer = setInterval(write, opts.writeIntervalMs);
  write();

  return {
    replicationLatencyMs: () => {
      if (stopped) return undefined;
      const recent = replicated.filter((r) => r.at >= Date.now() - WINDOW_MS);
      return recent.length === 0 ? undefined : Math.max(...recent.map((r) => r.latencyMs));
    },
    counts: () => ({ written: n, replicated: arrived, standbyItems: standby.size }),
    stop: () => {
      stopped = true;
      clearInterval(writer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    drain: async () => {
      clearInterval(writer);
      while (timers.size > 0) await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
    },
  };
};
