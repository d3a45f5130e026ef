/**
 * The lab's S3 Replication: copies each new object of the source bucket to the destination bucket a fixed delay
 * after it first sees it. S3 Replication copies new objects asynchronously, most within seconds and some later (S3
 * User Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html); the delay stands for that lag. `stop()` is the source Region going dark: copies
 * not yet made are never made, and `copied()` says exactly which keys made it.
 */
import { CopyObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { notBefore } from '../timers.js';

/** What S3 Replication would publish for the rule now (S3 User Guide, Using S3 Replication metrics). */
export interface ReplicationBacklog {
  /** OperationsPendingReplication: objects seen and not yet copied. */
  operations: number;
  /** BytesPendingReplication: their total size. */
  bytes: number;
  /** ReplicationLatency: how far the destination is behind, the age of the oldest object not yet copied (0 if none). */
  latencySeconds: number;
}

export interface Replicator {
  /** Keys copied to the destination, in copy order. */
  copied(): string[];
  /** The backlog now; undefined once stopped (the source Region is dark: nothing is measured any more). */
  backlog(): ReplicationBacklog | undefined;
  /** Stops: the copies not yet made are dropped. */
  stop(): Promise<void>;
  /** Waits until every object seen so far is copied (nothing to wait for once stopped), at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export const startReplicator = (opts: {
  client: S3Client;
  from: string;
  to: string;
  /** Time from seeing an object to copying it. */
  delayMs: number;
  /** How often the source is listed. Default 25 ms. */
  pollMs?: number;
  /**
   * Copies also wait for this (default: none): a test that reads the backlog holds the copies until it has read it,
   * so what it reads does not depend on how fast a loaded machine answers within `delayMs`.
   */
  hold?: Promise<unknown>;
}): Replicator => {
  const seen = new Set<string>();
  const done: string[] = [];
  /** Seen, not yet copied: when first seen and how big. */
  const pending = new Map<string, { seenAt: number; size: number }>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;

  const copy = (key: string) => {
    const call = opts.client
      .send(
        new CopyObjectCommand({
          Bucket: opts.to,
          Key: key,
          CopySource: `${opts.from}/${key.split('/').map(encodeURIComponent).join('/')}`,
        }),
      )
      .then(() => {
        done.push(key);
        pending.delete(key);
      })
      .catch(() => {
        // A failed copy stays not copied: the check must find it missing.
      })
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  };

  const poll = async () => {
    while (!stopped) {
      const listed = await opts.client.send(new ListObjectsV2Command({ Bucket: opts.from })).catch(() => undefined);
      for (const object of listed?.Contents ?? []) {
        const key = object.Key;
        if (!key || seen.has(key)) continue;
        seen.add(key);
        const seenAt = Date.now();
        pending.set(key, { seenAt, size: object.Size ?? 0 });
        // Never before the delay, by the clock the backlog's latency is read on.
        notBefore(
          seenAt + opts.delayMs,
          () => {
            void Promise.resolve(opts.hold).then(() => {
              if (!stopped) copy(key);
            });
          },
          timers,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 25));
    }
  };
  const loop = poll();

  return {
    copied: () => [...done],
    backlog: () => {
      if (stopped) return undefined;
      const entries = [...pending.values()];
      const oldest = Math.min(...entries.map((e) => e.seenAt));
      return {
        operations: entries.length,
        bytes: entries.reduce((sum, e) => sum + e.size, 0),
        latencySeconds: entries.length === 0 ? 0 : (Date.now() - oldest) / 1000,
      };
    },
    drain: async (timeoutMs) => {
      for (const deadline = Date.now() + timeoutMs; !stopped && pending.size > 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 25));
      }
    },
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await loop;
      // Copies already sent finish (or not) as they would; nothing new starts.
      await Promise.allSettled([...inFlight]);
    },
  };
};
