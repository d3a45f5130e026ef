/** PostgreSQL WAL positions (LSNs such as `16/B374D848`): compared and subtracted as 64-bit numbers. */

/** An LSN as a 64-bit number. */
export const lsnToBigInt = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
};

/** Bytes from `from` to `to`, never negative. */
export const bytesBetween = (from: string, to: string): number => {
  const diff = lsnToBigInt(to) - lsnToBigInt(from);
  return diff > 0n ? Number(diff) : 0;
};

/** Whether `lsn` lies at or after `point`. */
export const atOrAfter = (lsn: string, point: string): boolean => lsnToBigInt(lsn) >= lsnToBigInt(point);
