/** WAL positions and the standby's view of its replication, as the failover and its lag reading need them. */

export interface StandbyLagRow {
  receive_lsn: string | null;
  replay_lsn: string | null;
  unreplayed_bytes: number | null;
  replay_paused: boolean;
  since_replayed_xact: number | null;
  last_replayed_xact: Date | null;
  receiver_status: string | null;
  latest_end_lsn: string | null;
  since_contact: number | null;
}

/** Run on a standby known to be in recovery (pg_is_wal_replay_paused() raises otherwise). */
export const STANDBY_LAG_SQL = `
SELECT pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS unreplayed_bytes,
       pg_is_wal_replay_paused() AS replay_paused,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS since_replayed_xact,
       pg_last_xact_replay_timestamp() AS last_replayed_xact,
       r.status AS receiver_status,
       r.latest_end_lsn::text AS latest_end_lsn,
       extract(epoch FROM clock_timestamp() - r.last_msg_receipt_time)::float8 AS since_contact
  FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS r ON true`;
