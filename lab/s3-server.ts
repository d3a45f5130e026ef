/**
 * The lab's buckets: an S3-compatible server (s3rver) on loopback that the real S3 client talks to, path-style,
 * with the lab's dummy credentials. It stands in for each region's buckets (one bucket per region and purpose).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`: the endpoint override of the real client. */
  readonly endpoint: string;
  /** A real S3 client for `region`, pointed at this server. */
  client(region: string): S3Client;
  close(): Promise<void>;
}

/** s3rver's own fixed access key: it checks signatures against it. */
const LAB_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export const startLocalS3 = async (opts: { buckets: readonly string[] }): Promise<LocalS3> => {
  const directory = mkdtempSync(join(tmpdir(), 'dr-failover-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: opts.buckets.map((name) => ({ name })),
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    client: (region) => {
      const client = new S3Client({ region, endpoint, forcePathStyle: true, credentials: LAB_CREDENTIALS });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await server.close().catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
};
