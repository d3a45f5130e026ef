/**
 * The standby region's buckets, asked one key at a time with HeadObject. Every answer is `found`, `missing` or
 * `unknown` with its reason: a throttled, denied or timed-out request is never read as "the artifact is there",
 * nor as "it is missing".
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientFor } from '#adapters/client-cache.js';
import type { ArtifactStore, HeadAnswer } from '#core/ports.js';

export interface S3ArtifactStoreDeps {
  /** Injected in tests (an S3-compatible server on loopback, or a mocked client). */
  client?: S3Client;
  /** Bound of each HeadObject, retries included by the SDK's own attempts. Default 5000 ms. */
  requestTimeoutMs?: number;
}

interface S3LikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3ArtifactStore implements ArtifactStore {
  readonly #s3: S3Client;
  readonly #timeoutMs: number;

  constructor(region: string, deps: S3ArtifactStoreDeps = {}) {
    this.#timeoutMs = deps.requestTimeoutMs ?? 5_000;
    this.#s3 =
      deps.client ?? clientFor(S3Client, region, { connectionTimeoutMs: 2_000, requestTimeoutMs: this.#timeoutMs });
  }

  async head(bucket: string, key: string): Promise<HeadAnswer> {
    try {
      const out = await this.#s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
      return {
        kind: 'found',
        ...(out.ETag ? { etag: out.ETag } : {}),
        ...(out.ContentLength !== undefined ? { size: out.ContentLength } : {}),
        ...(out.LastModified ? { lastModified: out.LastModified } : {}),
      };
    } catch (error) {
      return answerOf(error as S3LikeError);
    }
  }
}

/**
 * HeadObject has no response body, so S3 errors carry only their status (S3 API reference, HeadObject): 404 for a
 * key (or bucket) that does not exist; 403 both for a denied key and, when the caller lacks s3:ListBucket on the
 * bucket, for one that does not exist, so 403 says nothing about the artifact.
 */
const answerOf = (error: S3LikeError): HeadAnswer => {
  const status = error.$metadata?.httpStatusCode;
  const name = error.name ?? 'Error';
  if (status === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket') {
    return { kind: 'missing' };
  }
  if (status === 403 || name === 'Forbidden' || name === 'AccessDenied') {
    return {
      kind: 'unknown',
      reason: 'access denied (403): S3 also answers 403 for a missing key without s3:ListBucket on the bucket',
    };
  }
  const reason =
    name === 'AbortError' || name === 'TimeoutError' ? 'no answer in time' : `${name}: ${error.message ?? ''}`;
  return { kind: 'unknown', reason: `${reason}${status ? ` (HTTP ${status})` : ''}`.slice(0, 300) };
};
