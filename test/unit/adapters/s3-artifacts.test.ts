import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '#adapters/artifacts/s3.js';

const s3 = mockClient(S3Client);

afterEach(() => {
  s3.reset();
});

/** An S3 error as the SDK surfaces it for a HEAD request: no body, so only the status names it. */
const headError = (name: string, httpStatusCode: number) =>
  new S3ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: 'UnknownError',
  });

describe('S3ArtifactStore.head', () => {
  it('sends one HeadObject for the key in the replica bucket and returns its ETag, size and Last-Modified', async () => {
    // Prepare
    const lastModified = new Date('2026-12-07T10:00:00Z');
    s3.on(HeadObjectCommand).resolves({ ETag: '"abc"', ContentLength: 42, LastModified: lastModified });

    // Act
    const answer = await new S3ArtifactStore('eu-west-1').head('models-eu', 'ranker/7/MLmodel');

    // Assess
    expect(answer).toEqual({ kind: 'found', etag: '"abc"', size: 42, lastModified });
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'models-eu', Key: 'ranker/7/MLmodel' });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'models-eu',
      Key: 'ranker/7/MLmodel',
    });
  });

  it('answers missing for a 404 (no such key, or no such bucket)', async () => {
    // Prepare
    s3.on(HeadObjectCommand)
      .rejectsOnce(new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'UnknownError' }))
      .rejectsOnce(headError('NoSuchBucket', 404));
    const store = new S3ArtifactStore('eu-west-1');

    // Act / Assess
    expect(await store.head('models-eu', 'a')).toEqual({ kind: 'missing' });
    expect(await store.head('models-eu', 'b')).toEqual({ kind: 'missing' });
  });

  it('answers unknown, never missing, for a 403: without s3:ListBucket S3 denies a missing key too', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(headError('Forbidden', 403));

    // Act
    const answer = await new S3ArtifactStore('eu-west-1').head('models-eu', 'a');

    // Assess
    expect(answer).toEqual({ kind: 'unknown', reason: expect.stringContaining('s3:ListBucket') });
  });

  it('answers unknown with the reason for throttling, a 5xx or a network failure', async () => {
    // Prepare
    s3.on(HeadObjectCommand)
      .rejectsOnce(headError('SlowDown', 503))
      .rejectsOnce(headError('InternalError', 500))
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' }));
    const store = new S3ArtifactStore('eu-west-1');

    // Act
    const answers = [await store.head('b', 'k'), await store.head('b', 'k'), await store.head('b', 'k')];

    // Assess
    expect(answers).toEqual([
      { kind: 'unknown', reason: 'SlowDown: UnknownError (HTTP 503)' },
      { kind: 'unknown', reason: 'InternalError: UnknownError (HTTP 500)' },
      { kind: 'unknown', reason: 'ECONNRESET: socket hang up' },
    ]);
  });
});
