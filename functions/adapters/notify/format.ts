/**
 * The human side of a notification: an SNS subject and a plain-text message that an engineer paged at 3 a.m. can
 * act on without opening the console. Pure. Callers pass an already redacted event; the text is redacted again
 * because it is assembled from free text.
 */
import type { FailoverEvent } from '#core/ports.js';
import { redactString } from '#core/redact.js';

/** SNS: "Subjects must be ... less than 100 characters long", ASCII for email, no line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;

/** SNS messages are at most 256 KiB; leave room for the envelope SNS adds for email and HTTP endpoints. */
export const MAX_MESSAGE_BYTES = 200 * 1024;

/** Replaces anything outside printable ASCII and collapses whitespace, so the text is one safe line. */
const asciiLine = (s: string) =>
  s
    .normalize('NFKD')
    // Combining marks from NFKD (é → e + ´) are dropped; anything else non-ASCII becomes `?`.
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/→/g, '->')
    .replace(/[^\x20-\x7e]+/g, (m) => (/^\s+$/.test(m) ? ' ' : '?'))
    .replace(/\s+/g, ' ')
    .trim();

/** `[dr-failover] orders: Failover Succeeded (unplanned)`: at most 99 printable ASCII characters. */
export const formatSubject = (event: Pick<FailoverEvent, 'plan' | 'type' | 'mode' | 'dryRun'>): string => {
  const subject = asciiLine(
    redactString(`[dr-failover] ${event.plan}: ${event.type} (${event.mode}${event.dryRun ? ', dry run' : ''})`),
  );
  return subject.length <= MAX_SUBJECT_LENGTH ? subject : `${subject.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
};

/** The measured figures as core/measures.ts reports them (structural, so this stays a pure formatter). */
interface MeasuresLike {
  rtoSeconds?: unknown;
  rtoTargetSeconds?: unknown;
  rtoMet?: unknown;
  promotionSeconds?: unknown;
  rpo?: { status?: unknown; seconds?: unknown; bytes?: unknown; source?: unknown; limitSeconds?: unknown };
}

interface TimelineLike {
  step?: unknown;
  startedAt?: unknown;
  endedAt?: unknown;
  outcome?: unknown;
  attempts?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Keys of `detail` the message renders in sections of their own; everything else is listed under Details. */
const RENDERED_KEYS = new Set([
  'measures',
  'timeline',
  'stateOfTheWorld',
  'nextSteps',
  'returnPath',
  'error',
  'message',
]);

/** An approval request, for the person asked: what, why, the lag, the deadline, then how to answer. */
const APPROVAL_LINES: readonly [key: string, label: string][] = [
  ['proposed', 'Proposed'],
  ['why', 'Asked because'],
  ['measuredLag', 'Measured lag'],
  ['deadline', 'Answer by'],
  ['ifNoAnswer', 'If nobody answers'],
  ['deadlineWarning', 'WARNING'],
  ['approve', 'Approve'],
  ['deny', 'Deny'],
  ['awsApprove', 'Approve (AWS CLI)'],
  ['awsDeny', 'Deny (AWS CLI)'],
];
const APPROVAL_KEYS = new Set([...APPROVAL_LINES.map(([key]) => key), 'lag', 'timeoutMinutes']);

const measuredRtoLine = (m: MeasuresLike): string | undefined => {
  const rto = num(m.rtoSeconds);
  if (rto === undefined) return undefined;
  const target = num(m.rtoTargetSeconds);
  const met = typeof m.rtoMet === 'boolean' ? (m.rtoMet ? ', met' : ', MISSED') : '';
  return `Measured RTO: ${rto} s${target !== undefined ? ` (target ${target} s${met})` : ''}`;
};

const measuredRpoLine = (m: MeasuresLike): string | undefined => {
  const rpo = m.rpo;
  if (!isRecord(rpo)) return undefined;
  const limit = num(rpo.limitSeconds);
  const source = typeof rpo.source === 'string' ? `, from ${rpo.source}` : '';
  const limitText = limit !== undefined ? ` (limit ${limit} s${source})` : source ? ` (${source.slice(2)})` : '';
  if (rpo.status === 'unknown') return `Measured RPO: unknown: no recent lag reading${limitText}`;
  const seconds = num(rpo.seconds);
  const bytes = num(rpo.bytes);
  const parts = [seconds !== undefined ? `${seconds} s` : undefined, bytes !== undefined ? `${bytes} bytes` : undefined]
    .filter((p) => p !== undefined)
    .join(', ');
  return parts ? `Measured RPO: up to ${parts} of replication lag at promotion${limitText}` : undefined;
};

const timelineLines = (timeline: unknown): string[] => {
  if (!Array.isArray(timeline) || timeline.length === 0) return [];
  const lines = ['Timeline:'];
  for (const entry of timeline as TimelineLike[]) {
    if (!isRecord(entry)) continue;
    const started = typeof entry.startedAt === 'string' ? entry.startedAt : '?';
    const took =
      typeof entry.startedAt === 'string' && typeof entry.endedAt === 'string'
        ? ` (${Math.max(0, Date.parse(entry.endedAt) - Date.parse(entry.startedAt)) / 1000} s)`
        : '';
    const attempts = num(entry.attempts) !== undefined && (entry.attempts as number) > 1 ? ` x${entry.attempts}` : '';
    lines.push(`  ${started}  ${String(entry.step ?? '?')}${attempts}${took}: ${String(entry.outcome ?? '')}`);
  }
  return lines;
};

const valueText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The plain-text message: what happened, why, who or what started it, mode and dry run, the measured RTO/RPO when
 * the detail has them, what to do next when it says, the timeline and the remaining detail.
 */
export const formatMessage = (event: FailoverEvent): string => {
  const d = isRecord(event.detail) ? event.detail : {};
  const lines: string[] = [event.summary, ''];
  lines.push(`What happened: ${event.type} for plan ${event.plan}`);
  lines.push(`Why: ${event.reason || 'no reason given'}`);
  lines.push(`Started by: ${event.requestedBy}`);
  if (isRecord(d.trigger)) lines.push(`Trigger: ${valueText(d.trigger.kind)} ${valueText(d.trigger.source)}`);
  lines.push(`Mode: ${event.mode}${event.dryRun ? ', DRY RUN (nothing was changed)' : ''}`);
  lines.push(`Execution: ${event.executionId}`);
  lines.push(`At: ${event.occurredAt}`);

  if (d.error !== undefined || d.message !== undefined) {
    lines.push(
      '',
      `Error: ${[d.error, d.message]
        .filter((v) => v !== undefined)
        .map(valueText)
        .join(': ')}`,
    );
  }

  const approval = event.type === 'Approval Required';
  if (approval) {
    const asked = APPROVAL_LINES.filter(([key]) => d[key] !== undefined);
    if (asked.length > 0) lines.push('', ...asked.map(([key, label]) => `${label}: ${valueText(d[key])}`));
  }

  const measures: MeasuresLike = isRecord(d.measures) ? d.measures : {};
  const figures = [measuredRtoLine(measures), measuredRpoLine(measures)].filter((l) => l !== undefined);
  const promotion = num(measures.promotionSeconds);
  if (promotion !== undefined) figures.push(`Standby writable: ${promotion} s after the incident started`);
  if (figures.length > 0) lines.push('', ...figures);

  if (Array.isArray(d.stateOfTheWorld) && d.stateOfTheWorld.length > 0) {
    lines.push('', 'State of the world:', ...d.stateOfTheWorld.map((s) => `  ${valueText(s)}`));
  }

  if (d.nextSteps !== undefined) {
    const steps = Array.isArray(d.nextSteps) ? d.nextSteps.map(valueText) : [valueText(d.nextSteps)];
    lines.push('', 'Next steps:', ...steps.map((s) => `  ${s}`));
  }
  if (d.returnPath !== undefined) lines.push('', 'Return the world (game day):', `  ${valueText(d.returnPath)}`);

  const timeline = timelineLines(d.timeline);
  if (timeline.length > 0) lines.push('', ...timeline);

  const rest = Object.entries(d).filter(
    ([k, v]) => !RENDERED_KEYS.has(k) && !(approval && APPROVAL_KEYS.has(k)) && k !== 'trigger' && v !== undefined,
  );
  if (rest.length > 0) {
    lines.push('', 'Details:', ...rest.map(([k, v]) => `  ${k}: ${valueText(v)}`));
  }

  let message = redactString(lines.join('\n'));
  if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) {
    // Cut by bytes, then drop a possibly split last character; the execution history keeps the full detail.
    message = `${Buffer.from(message, 'utf8')
      .subarray(0, MAX_MESSAGE_BYTES)
      .toString('utf8')
      .replace(/\uFFFD$/, '')}\n[truncated: see the EventBridge event and the execution history for the full detail]`;
  }
  return message;
};
