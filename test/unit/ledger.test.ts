import { describe, expect, it } from 'vitest';
import { ForkPointUnknownError } from '#core/errors.js';
import { commitTimeOf, ledgerOf, parseTimelineHistory } from '#core/ledger.js';
import { atOrAfter, bytesBetween, lsnToBigInt } from '#core/lsn.js';

describe('parseTimelineHistory', () => {
  it('reads each ancestor line, skipping blanks and comments', () => {
    // Act
    const history = parseTimelineHistory(
      '# comment\n1\t0/3000148\tno recovery target specified\n\n2\t1/A0\tbefore 2026-12-07 12:00:00+00\n',
    );

    // Assess
    expect(history).toEqual([
      { parentTimeline: 1, switchLsn: '0/3000148', reason: 'no recovery target specified' },
      { parentTimeline: 2, switchLsn: '1/A0', reason: 'before 2026-12-07 12:00:00+00' },
    ]);
  });

  it.each([['x\t0/1\tr'], ['1\tnot-an-lsn\tr'], ['0\t0/1\tr'], ['1']])(
    'throws ForkPointUnknownError on the malformed line %j',
    (line) => {
      // Act / Assess
      expect(() => parseTimelineHistory(line)).toThrow(ForkPointUnknownError);
    },
  );
});

describe('ledgerOf', () => {
  const history = parseTimelineHistory('1\t0/3000148\tno recovery target specified');

  it('keeps the commits at or after the fork point and measures the WAL after it', () => {
    // Act
    const ledger = ledgerOf({
      oldTimeline: 1,
      newTimeline: 2,
      history,
      oldEndLsn: '0/3000248',
      commits: [
        { xid: '740', lsn: '0/3000100' },
        { xid: '741', lsn: '0/3000148', committedAt: '2026-12-07 12:00:00.1+00' },
        { xid: '742', lsn: '0/30001a0' },
      ],
    });

    // Assess
    expect(ledger).toMatchObject({ forkLsn: '0/3000148', oldEndLsn: '0/3000248', bytesAfterFork: 256 });
    expect(ledger.transactions).toEqual([
      { xid: '741', lsn: '0/3000148', committedAt: '2026-12-07 12:00:00.1+00' },
      { xid: '742', lsn: '0/30001A0' },
    ]);
    expect(ledger.detail).toContain('2 transaction(s) committed there');
  });

  it('records the range and why the transactions are unknown when the WAL could not be read', () => {
    // Act
    const ledger = ledgerOf({ oldTimeline: 1, newTimeline: 2, history, oldEndLsn: '0/3000148', unreadable: 'gone' });

    // Assess
    expect(ledger.transactions).toBeUndefined();
    expect(ledger.bytesAfterFork).toBe(0);
    expect(ledger.detail).toContain('could not be read (gone)');
  });

  it.each([
    ['a history that never left the old timeline', 3, 4],
    ['a new timeline not after the old one', 1, 1],
  ])('throws ForkPointUnknownError for %s', (_what, oldTimeline, newTimeline) => {
    // Act / Assess
    expect(() => ledgerOf({ oldTimeline, newTimeline, history, oldEndLsn: '0/4000000', commits: [] })).toThrow(
      ForkPointUnknownError,
    );
  });
});

describe('commitTimeOf and LSN arithmetic', () => {
  it('takes the commit time from a COMMIT description, and nothing from anything else', () => {
    // Assess
    expect(commitTimeOf('2026-12-07 12:44:01.123456+00; inval msgs: catcache 55')).toBe(
      '2026-12-07 12:44:01.123456+00',
    );
    expect(commitTimeOf('nextXid 740')).toBeUndefined();
    expect(commitTimeOf(null)).toBeUndefined();
  });

  it('compares and subtracts positions across the 32-bit boundary', () => {
    // Assess
    expect(lsnToBigInt('1/0') - lsnToBigInt('0/FFFFFFFF')).toBe(1n);
    expect(bytesBetween('0/FFFFFFFF', '1/10')).toBe(17);
    expect(bytesBetween('1/10', '0/FFFFFFFF')).toBe(0);
    expect(atOrAfter('1/10', '1/10')).toBe(true);
    expect(atOrAfter('1/F', '1/10')).toBe(false);
  });
});
