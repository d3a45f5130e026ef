import { describe, expect, it } from 'vitest';
import { conninfoHost, pairHostOf } from '#adapters/database/postgres-pair.js';

describe('conninfoHost', () => {
  it.each([
    ["host=10.0.1.10 port=5432 user=replicator password='x y'", '10.0.1.10'],
    ["user=replicator host='db-a.internal' port=5432", 'db-a.internal'],
    ['host=db-a.internal,db-b.internal port=5432', 'db-a.internal'],
    ['', undefined],
    [null, undefined],
    ['port=5432 user=replicator', undefined],
  ])('reads the host of %j as %j', (conninfo, host) => {
    // Act / Assess
    expect(conninfoHost(conninfo)).toBe(host);
  });
});

describe('pairHostOf', () => {
  const hosts = ['127.0.0.1', '127.0.0.2'];

  it('names the pair host the upstream is, by name or by a shared address', async () => {
    // Act / Assess
    expect(await pairHostOf('127.0.0.2', hosts)).toBe('127.0.0.2');
    expect(await pairHostOf('localhost', ['127.0.0.1', '10.1.1.10'])).toBe('127.0.0.1');
  });

  it('reports a third server only when every name resolved and none shares an address', async () => {
    // Act / Assess
    expect(await pairHostOf('127.0.0.9', hosts)).toBe('127.0.0.9');
    expect(await pairHostOf('127.0.0.9', ['127.0.0.1', 'no-such-host.invalid'])).toBeUndefined();
    expect(await pairHostOf('no-such-host.invalid', hosts)).toBeUndefined();
    expect(await pairHostOf(undefined, hosts)).toBeUndefined();
  });
});
