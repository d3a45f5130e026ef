import { describe, expect, it } from 'vitest';
import {
  type AuroraPairView,
  auroraWayBack,
  preservedClusterSnapshotId,
  unplannedSnapshotPrefix,
} from '#core/aurora-failback.js';
import { AmbiguousTopologyError, InvalidInputError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const plan = loadPlanFile('plans/orders.yml') as PlanWithDatabase<'aurora-global'>;
const US = 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us';
const EU = 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu';
const SNAPSHOT = 'rds:unplanned-global-failover-orders-us-2026-12-07-16-05';

/** After the failover: orders-eu writes; the old primary as given. */
const view = (over: Partial<AuroraPairView> = {}): AuroraPairView => ({
  reachable: true,
  exists: true,
  writerArn: EU,
  oldPrimary: { member: true, synchronization: 'connected' },
  unplannedSnapshot: { id: SNAPSHOT, status: 'available' },
  preservedCopy: { id: 'orders-us-preserved-x', status: 'available' },
  ...over,
});

describe('auroraWayBack: how the Aurora way back stands', () => {
  it('is needed while the old primary is not a member again (Aurora re-adds it when its region recovers)', () => {
    expect(auroraWayBack(plan, view({ oldPrimary: { member: false } })).stage).toBe('needed');
  });

  it("is under way while the old primary resynchronizes, or while Aurora's snapshot is not copied yet", () => {
    expect(auroraWayBack(plan, view({ oldPrimary: { member: true, synchronization: 'pending-resync' } })).stage).toBe(
      'under-way',
    );
    const { preservedCopy: _copy, ...uncopied } = view();
    expect(auroraWayBack(plan, uncopied).stage).toBe('under-way');
    expect(auroraWayBack(plan, view({ preservedCopy: { id: 'c', status: 'copying' } })).stage).toBe('under-way');
  });

  it('is replicating once the old primary is connected and the snapshot (if any) preserved', () => {
    // Prepare
    const { unplannedSnapshot: _s, preservedCopy: _c, ...noSnapshot } = view();

    // Act / Assess
    expect(auroraWayBack(plan, view())).toMatchObject({
      stage: 'replicating',
      observed: expect.stringContaining('old primary orders-us a member (connected)'),
    });
    expect(auroraWayBack(plan, noSnapshot).stage).toBe('replicating');
  });

  it('refuses, changing nothing, a pair standing as written, an unreadable or busy global cluster, or a third writer', () => {
    expect(() => auroraWayBack(plan, view({ writerArn: US }))).toThrow(InvalidInputError);
    expect(() => auroraWayBack(plan, view({ reachable: false }))).toThrow(AmbiguousTopologyError);
    expect(() => auroraWayBack(plan, view({ exists: false }))).toThrow(AmbiguousTopologyError);
    expect(() => auroraWayBack(plan, view({ operation: 'failover (failing-over)' }))).toThrow(/operation has ended/);
    expect(() => auroraWayBack(plan, view({ writerArn: 'arn:aws:rds:ap-south-1:111122223333:cluster:x' }))).toThrow(
      AmbiguousTopologyError,
    );
  });
});

describe('Aurora way back names', () => {
  it('names the preserved copy from the old primary and the run, within 63 characters, as CopyDBClusterSnapshot needs', () => {
    // Act
    const id = preservedClusterSnapshotId(
      US,
      'arn:aws:states:us-east-1:111122223333:execution:sm:orders-failback-20261207T1600Z',
    );
    const long = preservedClusterSnapshotId(
      `arn:aws:rds:us-east-1:111122223333:cluster:${'a'.repeat(60)}`,
      `arn:aws:states:us-east-1:111122223333:execution:sm:${'run--'.repeat(30)}`,
    );

    // Assess
    expect(id).toBe('orders-us-preserved-orders-failback-20261207T1600Z');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/);
    expect(unplannedSnapshotPrefix('orders-us')).toBe('rds:unplanned-global-failover-orders-us-');
  });
});
