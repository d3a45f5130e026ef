import { describe, expect, it } from 'vitest';
import { AmbiguousTopologyError } from '#core/errors.js';
import { fencedByItsGroup, type ReplicaFenceReading, refuseStaleWriter } from '#core/stale-writer.js';

const where = {
  replicaId: 'feature-store-replica',
  standbyRegion: 'us-east-2',
  primaryRegion: 'us-west-2',
  sourceInstanceArn: 'arn:aws:rds:us-west-2:111122223333:db:feature-store',
  status: 'available',
};
const reading = (over: Partial<ReplicaFenceReading> = {}): ReplicaFenceReading => ({
  group: 'feature-store-replica-pg',
  applyStatus: 'in-sync',
  readOnlyValue: '1',
  ...over,
});

describe('a standalone replica fenced by its own group (core/stale-writer.ts)', () => {
  it.each(['1', 'on', 'ON', 'true', 'yes', ' 1 '])('reads %j as read-only', (value) => {
    expect(fencedByItsGroup(reading({ readOnlyValue: value }))).toBe(true);
  });

  it.each(['0', 'off', 'false', 'no', ''])('reads %j as not read-only', (value) => {
    expect(fencedByItsGroup(reading({ readOnlyValue: value }))).toBe(false);
  });

  it('reads a parameter never set in the group as not fenced', () => {
    const { readOnlyValue: _unset, ...unset } = reading();
    expect(fencedByItsGroup(unset)).toBe(false);
  });

  it('refuses a fenced replica with AmbiguousTopologyError, naming the group, the likely writer and the way out', () => {
    expect(() => refuseStaleWriter(where, reading())).toThrow(AmbiguousTopologyError);
    expect(() => refuseStaleWriter(where, reading())).toThrow(
      'run refused, this step changed nothing: feature-store-replica in us-east-2 is standalone (available) but its parameter ' +
        'group feature-store-replica-pg (in-sync) sets default_transaction_read_only = 1: it is fenced read-only, so ' +
        'it is not the writer and its data may be stale. The writer is probably feature-store-failback in us-west-2',
    );
  });

  it('lets a replica that is not fenced, or was not read, go on', () => {
    expect(refuseStaleWriter(where, reading({ readOnlyValue: '0' }))).toBeUndefined();
    expect(refuseStaleWriter(where, undefined)).toBeUndefined();
  });
});
