/**
 * The readiness checks' judgement: pure evaluation of what the probes read, thresholds -> OK | WARN | CRITICAL
 * with details (the table of checks is in ./model.ts).
 */
import type { Plan } from '../plan.js';
import type {
  AlarmFacts,
  BackupFacts,
  DnsRecordFacts,
  LagReading,
  StackResourceFacts,
  StandbyFacts,
  WriterFacts,
} from '../ports.js';
import { type CheckOutcome, type CheckStatus, worstOf } from './model.js';

const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;
const minutes = (ms: number) => Math.round(ms / 60_000);
const normalise = (name: string) => name.trim().replace(/\.$/, '').toLowerCase();

export const evaluateStandby = (facts: StandbyFacts): CheckOutcome => {
  const details = {
    role: facts.role,
    state: facts.state,
    replication: facts.replication,
    detail: facts.detail,
  };
  if (!facts.exists) return { status: 'CRITICAL', summary: `no standby: ${facts.detail}`, details };
  if (facts.blocker) return { status: facts.blocker.status, summary: facts.blocker.reason, details };
  if (facts.role === 'promoted') {
    // Expected right after a failover, so not a page; but the plan protects nothing until replication is rebuilt.
    // (One fenced read-only by its own group, left so by a way back, came as a CRITICAL blocker above: stale-writer.ts.)
    return {
      status: 'WARN',
      summary: `the standby is already promoted (${facts.state ?? 'unknown state'}): there is nothing to fail over to until replication is re-established`,
      details,
    };
  }
  return {
    status: 'OK',
    summary: `standby ${facts.state ?? 'healthy'}, ${facts.replication ?? 'replicating'}`,
    details,
  };
};

/** The lag against an RPO: the plan's, or a component database's own. */
export const evaluateLag = (
  reading: LagReading,
  plan: { rpo: Pick<Plan['rpo'], 'maxLagSeconds' | 'maxLagBytes'>; readiness: Plan['readiness'] },
): CheckOutcome => {
  const { maxLagSeconds, maxLagBytes } = plan.rpo;
  const warnShare = plan.readiness.lagWarnPercent / 100;
  const details = {
    seconds: reading.seconds,
    bytes: reading.bytes,
    maxLagSeconds,
    maxLagBytes,
    source: reading.source,
    observedAt: reading.observedAt,
    detail: reading.detail,
  };
  if (reading.status === 'unknown') {
    return {
      status: 'CRITICAL',
      summary: `replication lag unknown (${reading.source}): the RPO guard would not pass`,
      details,
    };
  }
  const over = (value: number | undefined, limit: number | undefined, share: number) =>
    value !== undefined && limit !== undefined && value > limit * share;
  const s = reading.seconds;
  const b = reading.bytes;
  const what = [s !== undefined ? `${s} s` : undefined, b !== undefined ? `${b} bytes` : undefined]
    .filter(Boolean)
    .join(', ');
  const limits = `limit ${maxLagSeconds} s${maxLagBytes !== undefined ? ` / ${maxLagBytes} bytes` : ''}`;
  if (over(s, maxLagSeconds, 1) || over(b, maxLagBytes, 1)) {
    return { status: 'CRITICAL', summary: `replication lag ${what} is above the RPO (${limits})`, details };
  }
  if (over(s, maxLagSeconds, warnShare) || over(b, maxLagBytes, warnShare)) {
    return {
      status: 'WARN',
      summary: `replication lag ${what} is above ${plan.readiness.lagWarnPercent}% of the RPO (${limits})`,
      details,
    };
  }
  return { status: 'OK', summary: `replication lag ${what || 'none'} within the RPO (${limits})`, details };
};

export const evaluateBackup = (facts: BackupFacts, plan: Pick<Plan, 'readiness'>, now: Date): CheckOutcome => {
  const maxHours = plan.readiness.maxBackupAgeHours;
  if (facts.kind === 'not-checked') {
    return { status: 'WARN', summary: `backups not checked: ${facts.detail}`, details: { detail: facts.detail } };
  }
  if (facts.kind === 'none' || !facts.newestAt) {
    return {
      status: 'CRITICAL',
      summary: `no backup or snapshot in the standby region: ${facts.detail}`,
      details: { maxBackupAgeHours: maxHours, detail: facts.detail },
    };
  }
  const ageMs = Math.max(0, now.getTime() - facts.newestAt.getTime());
  const details = {
    newestAt: facts.newestAt.toISOString(),
    ageHours: hours(ageMs),
    maxBackupAgeHours: maxHours,
    source: facts.source,
  };
  if (ageMs > maxHours * 3_600_000) {
    return {
      status: 'CRITICAL',
      summary: `newest backup in the standby region is ${hours(ageMs)} h old (${facts.source}), over ${maxHours} h`,
      details,
    };
  }
  return { status: 'OK', summary: `newest backup ${hours(ageMs)} h old (${facts.source})`, details };
};

/**
 * "Where the plan says the writer is": the record must answer the current writer. Before a failover that is the
 * primary (its endpoint, or Aurora's global writer endpoint); after one, the promoted standby. The one answer that
 * is always wrong is the standby while it is still a read-only replica: writes through the record would fail.
 */
export const evaluateDns = (record: DnsRecordFacts, writer: WriterFacts | Error): CheckOutcome => {
  const values = record.values.map(normalise);
  const answer = record.values.join(', ') || 'nothing';
  if (values.length === 0) {
    return { status: 'CRITICAL', summary: `the record does not exist: ${record.detail}`, details: { answer: [] } };
  }
  if (writer instanceof Error) {
    return {
      status: 'WARN',
      summary: `the record answers ${answer}; the current writer could not be read (${writer.message})`,
      details: { answer: record.values, writerError: writer.message },
    };
  }
  const details = {
    answer: record.values,
    writerRole: writer.role,
    writerEndpoints: writer.endpoints,
    writerDetail: writer.detail,
  };
  const forbidden = values.filter((v) => writer.forbidden.map(normalise).includes(v));
  if (forbidden.length > 0) {
    return {
      status: 'CRITICAL',
      summary: `the record answers ${answer}: the standby, which is still a read-only replica`,
      details,
    };
  }
  const expected = writer.endpoints.map(normalise);
  if (values.every((v) => expected.includes(v))) {
    return { status: 'OK', summary: `the record answers the ${writer.role} writer (${answer})`, details };
  }
  if (writer.role === 'unknown' || expected.length === 0) {
    return {
      status: 'WARN',
      summary: `the record answers ${answer}; the writer's address could not be confirmed (${writer.detail})`,
      details,
    };
  }
  return {
    status: 'CRITICAL',
    summary: `the record answers ${answer}, not the ${writer.role} writer (${writer.endpoints.join(' or ')})`,
    details,
  };
};

export const evaluateAlarm = (alarm: AlarmFacts, plan: Pick<Plan, 'readiness'>, now: Date): CheckOutcome => {
  const rule = alarm.rule;
  const details = { state: alarm.state, stateSince: alarm.stateSince?.toISOString(), rule };
  if (!alarm.exists) return { status: 'CRITICAL', summary: `alarm ${alarm.name} does not exist`, details };
  if (!rule.exists)
    return { status: 'CRITICAL', summary: `alarm ${alarm.name}: rule ${rule.name} is missing`, details };
  if (rule.enabled === false) {
    return { status: 'CRITICAL', summary: `alarm ${alarm.name}: rule ${rule.name} is disabled`, details };
  }
  if (rule.matchesAlarm === false) {
    return {
      status: 'CRITICAL',
      summary: `alarm ${alarm.name}: rule ${rule.name} does not match the alarm going into ALARM`,
      details,
    };
  }
  if (rule.targetsTrigger === false) {
    return {
      status: 'CRITICAL',
      summary: `alarm ${alarm.name}: rule ${rule.name} does not target the trigger function`,
      details,
    };
  }
  if (alarm.state === 'INSUFFICIENT_DATA') {
    const limitMin = plan.readiness.alarmInsufficientDataMinutes;
    const forMs = alarm.stateSince ? Math.max(0, now.getTime() - alarm.stateSince.getTime()) : Number.POSITIVE_INFINITY;
    const since = alarm.stateSince ? `for ${minutes(forMs)} min` : 'since an unknown time';
    return forMs > limitMin * 60_000
      ? {
          status: 'CRITICAL',
          summary: `alarm ${alarm.name} has had INSUFFICIENT_DATA ${since} (over ${limitMin} min): it is blind`,
          details,
        }
      : { status: 'WARN', summary: `alarm ${alarm.name} has had INSUFFICIENT_DATA ${since}`, details };
  }
  if (alarm.state === 'ALARM') {
    return {
      status: 'WARN',
      summary: `alarm ${alarm.name} is in ALARM: it will not fire again until it returns to OK`,
      details,
    };
  }
  return { status: 'OK', summary: `alarm ${alarm.name} ${alarm.state ?? 'OK'}, wired to ${rule.name}`, details };
};

export const evaluateAlarms = (alarms: AlarmFacts[], plan: Pick<Plan, 'readiness'>, now: Date): CheckOutcome => {
  if (alarms.length === 0) {
    return {
      status: 'WARN',
      summary: 'the plan has no trigger alarms: only manual runs and game days start a failover',
    };
  }
  const each = alarms.map((a) => ({ alarm: a.name, ...evaluateAlarm(a, plan, now) }));
  const status = worstOf(each.map((e) => e.status));
  const bad = each.filter((e) => e.status !== 'OK');
  return {
    status,
    summary:
      bad.length === 0
        ? `${alarms.length} trigger alarm(s) OK and wired to the trigger`
        : bad.map((e) => e.summary).join('; '),
    details: { alarms: each },
  };
};

const FUNCTION_FAILED = new Set(['Failed']);
const FUNCTION_WAITING = new Set(['Pending', 'Inactive']);

export const evaluateStateMachine = (facts: StackResourceFacts): CheckOutcome => {
  const details = { name: facts.name, state: facts.state };
  if (!facts.exists) return { status: 'CRITICAL', summary: `state machine ${facts.name} does not exist`, details };
  if (facts.state !== 'ACTIVE') {
    return {
      status: 'CRITICAL',
      summary: `state machine ${facts.name} is ${facts.state ?? 'in an unknown state'}`,
      details,
    };
  }
  return { status: 'OK', summary: `state machine ${facts.name} ACTIVE`, details };
};

export const evaluateFunctions = (facts: StackResourceFacts[]): CheckOutcome => {
  const each = facts.map((f): { name: string; status: CheckStatus; why: string } => {
    if (!f.exists) return { name: f.name, status: 'CRITICAL', why: `${f.name} does not exist` };
    if ((f.state && FUNCTION_FAILED.has(f.state)) || f.lastUpdate === 'Failed') {
      return {
        name: f.name,
        status: 'CRITICAL',
        why: `${f.name} is ${f.state}${f.lastUpdate === 'Failed' ? ', last update failed' : ''}${f.detail ? `: ${f.detail}` : ''}`,
      };
    }
    if (f.state && FUNCTION_WAITING.has(f.state)) {
      // An Inactive function fails its first invocations while Lambda re-creates its resources.
      return { name: f.name, status: 'WARN', why: `${f.name} is ${f.state}` };
    }
    return { name: f.name, status: 'OK', why: `${f.name} ${f.state ?? 'Active'}` };
  });
  const status = worstOf(each.map((e) => e.status));
  const bad = each.filter((e) => e.status !== 'OK');
  return {
    status,
    summary: bad.length === 0 ? `${facts.length} function(s) Active` : bad.map((e) => e.why).join('; '),
    details: { functions: each },
  };
};
