/**
 * Watches both nodes of the pair through a whole drill: at each instant, which of them would take a write (out of
 * recovery and not read-only) and where DNS sends clients. Both nodes are probed at once, each on its own short
 * connection, so that one sample is one instant; a node that does not answer is not writable.
 */
import pg from 'pg';
import type { LocalDnsServer } from '../dns-server.js';
import type { LocalNode } from '../regions.js';
import { clock, sleep } from './time.js';

export interface WriterSample {
  at: number;
  /** Hosts that would take a write. */
  writable: string[];
  /** The address DNS answered at that instant. */
  dns: string | undefined;
}

export interface WriterWatch {
  readonly samples: readonly WriterSample[];
  /** Samples in which more than one node would take a write. */
  bothWritable(): WriterSample[];
  stop(): Promise<void>;
}

const writable = async (node: LocalNode): Promise<boolean> => {
  const client = new pg.Client(node.connectionConfig({ connectionTimeoutMillis: 1000, query_timeout: 1000 }));
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ w: boolean }>(
      `SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off' AS w`,
    );
    return r.rows[0]?.w === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

export const watchWriters = (
  nodes: readonly LocalNode[],
  dns: LocalDnsServer,
  record: string,
  intervalMs = 100,
): WriterWatch => {
  const samples: WriterSample[] = [];
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const at = clock();
      const answers = await Promise.all(nodes.map(writable));
      samples.push({
        at,
        writable: nodes.filter((_, i) => answers[i]).map((n) => n.host),
        dns: dns.get(record)?.address,
      });
      await sleep(intervalMs - (clock() - at));
    }
  };
  const done = loop();
  return {
    samples,
    bothWritable: () => samples.filter((s) => s.writable.length > 1),
    async stop() {
      stopped = true;
      await done;
    },
  };
};
