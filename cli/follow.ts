/**
 * Following an execution: poll DescribeExecution and GetExecutionHistory, rebuild the run model each time, and
 * print what changed: each step as it starts and ends (with its duration and outcome, the lag measured), every
 * retry, then the outcome with RTO against the target and RPO against the limit.
 */
import { DescribeExecutionCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { fetchHistory, runModelFromHistory } from '#report/history.js';
import { fmtDuration, oneLine, outcomeWord, type RunModel, type StepRun } from '#report/model.js';
import { rpoLine, rtoLine } from '#report/render.js';
import { type Output, type Paint, regionOfArn } from './context.js';
import { EXIT, type ExitCode, explain } from './errors.js';

export const exitCodeOf = (m: RunModel): ExitCode =>
  m.outcome === 'succeeded'
    ? EXIT.ok
    : m.outcome === 'aborted'
      ? EXIT.runAborted
      : m.outcome === 'running'
        ? EXIT.stillRunning
        : EXIT.runFailed;

/** One thing that happened, for `--json` (one object per line) and for the text view. */
export type WatchEvent =
  | { event: 'step-started'; step: string; kind: string; atMs: number }
  | { event: 'step-ended'; step: string; kind: string; ms: number; attempts: number; outcome?: string; error?: string }
  | { event: 'retry'; step: string; attempt: number; error: string; cause?: string }
  | { event: 'approval-waiting'; step: string; approve: string; deny: string }
  | {
      event: 'ended';
      execution: string;
      outcome: RunModel['outcome'];
      exitCode: ExitCode;
      rto?: RunModel['rto'];
      rpo?: RunModel['rpo'];
      error?: RunModel['error'];
      warnings: string[];
      world?: string[];
      nextSteps?: string;
    };

interface Seen {
  started: boolean;
  ended: boolean;
  failures: number;
}

/** Compares two builds of the model and returns what is new, in order. */
class ProgressDiff {
  readonly #seen: Seen[] = [];

  next(m: RunModel): WatchEvent[] {
    const out: WatchEvent[] = [];
    m.steps.forEach((s: StepRun, i) => {
      const seen = this.#seen[i] ?? { started: false, ended: false, failures: 0 };
      this.#seen[i] = seen;
      if (!seen.started) {
        seen.started = true;
        out.push({ event: 'step-started', step: s.name, kind: s.kind, atMs: s.startMs });
      }
      const retried = s.error ? s.failures.length - 1 : s.failures.length;
      for (let k = seen.failures; k < retried; k++) {
        const f = s.failures[k];
        if (f) {
          out.push({
            event: 'retry',
            step: s.name,
            attempt: k + 1,
            error: f.error,
            ...(f.cause ? { cause: f.cause } : {}),
          });
        }
      }
      seen.failures = Math.max(seen.failures, retried);
      if (!seen.ended && s.endMs !== undefined) {
        seen.ended = true;
        out.push({
          event: 'step-ended',
          step: s.name,
          kind: s.kind,
          ms: s.endMs - s.startMs,
          attempts: s.attempts,
          ...(s.outcome ? { outcome: s.outcome } : {}),
          ...(s.error ? { error: s.error } : {}),
        });
      }
    });
    return out;
  }
}

const endedEvent = (m: RunModel): Extract<WatchEvent, { event: 'ended' }> => ({
  event: 'ended',
  execution: m.execution.arn ?? m.execution.name,
  outcome: m.outcome,
  exitCode: exitCodeOf(m),
  ...(m.rto ? { rto: m.rto } : {}),
  ...(m.rpo ? { rpo: m.rpo } : {}),
  ...(m.error ? { error: m.error } : {}),
  warnings: m.warnings,
  ...(m.world ? { world: m.world } : {}),
  ...(m.nextSteps ? { nextSteps: m.nextSteps } : {}),
});

/** The text view of one event. */
const renderEvent = (e: WatchEvent, p: Paint, width = 160): string[] => {
  const clip = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  switch (e.event) {
    case 'step-started':
      return [clip(`  ${p.dim('▶')} ${e.step.padEnd(22)} ${p.dim(`started at +${fmtDuration(e.atMs)}`)}`)];
    case 'step-ended': {
      const took = fmtDuration(e.ms).padStart(8);
      const tries = e.attempts > 1 ? ` (${e.attempts} attempts)` : '';
      if (e.error) return [clip(`  ${p.red('✗')} ${e.step.padEnd(22)} ${took}  ${p.red(e.error)}${tries}`)];
      return [clip(`  ${p.green('✓')} ${e.step.padEnd(22)} ${took}  ${oneLine(e.outcome ?? '', width)}${tries}`)];
    }
    case 'retry':
      return [
        clip(
          `  ${p.yellow('↻')} ${e.step.padEnd(22)} ${p.yellow(`attempt ${e.attempt} failed: ${e.error}`)}${e.cause ? ` (${oneLine(e.cause, 120)})` : ''}; retrying`,
        ),
      ];
    case 'approval-waiting':
      return [
        `  ${p.yellow('?')} ${e.step.padEnd(22)} ${p.yellow('waiting for a person to approve or deny:')}`,
        `      ${e.approve}`,
        `      ${e.deny}`,
      ];
    case 'ended':
      return [];
  }
};

/** The closing block: outcome, RTO and RPO against the plan, warnings, next steps. */
const renderEnd = (m: RunModel, p: Paint): string[] => {
  const word = outcomeWord(m);
  const coloured = m.outcome === 'succeeded' ? p.green(word) : m.outcome === 'running' ? p.yellow(word) : p.red(word);
  const lines = [
    '',
    `── ${m.execution.name}: ${p.bold(coloured)}${m.error ? ` ${m.error.name}${m.error.cause ? `: ${oneLine(m.error.cause, 200)}` : ''}` : ''}`,
    `  RTO  ${rtoLine(m)}`,
    `  RPO  ${rpoLine(m)}`,
  ];
  if (m.start) lines.push(`  by   ${m.start.requestedBy}: ${m.start.reason}`);
  for (const w of m.warnings) lines.push(`  ${p.yellow('!')}    ${w}`);
  for (const w of m.world ?? []) lines.push(`  now  ${w}`);
  if (m.nextSteps) lines.push(`  ${p.bold('next')} ${m.nextSteps}`);
  lines.push(`  exit ${exitCodeOf(m)}`);
  return lines;
};

export interface FollowOptions {
  client: SFNClient;
  executionArn: string;
  intervalMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  out: Output;
  paint: Paint;
  json: boolean;
  /** Stop following after this many polls (tests, and a bound for scripts); the run goes on. */
  maxPolls?: number;
}

/**
 * The task token of an approval request still waiting, from its TaskScheduled parameters (the resolved Payload
 * carries `taskToken`), so the person watching can answer it from here.
 */
const pendingApprovalToken = (events: readonly HistoryEvent[], m: RunModel): string | undefined => {
  const open = m.steps.at(-1);
  if (open?.kind !== 'approval' || open.endMs !== undefined) return undefined;
  const scheduled = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)).findLast((e) => e.type === 'TaskScheduled')
    ?.taskScheduledEventDetails?.parameters;
  try {
    const token = (JSON.parse(scheduled ?? '{}') as { Payload?: { taskToken?: unknown } }).Payload?.taskToken;
    return typeof token === 'string' && token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The run as it stands: DescribeExecution (its status, which a history page may not show yet) and every page of
 * its history, rebuilt into the run model. Failures are explained for the CLI.
 */
export const readRun = async (
  client: SFNClient,
  executionArn: string,
  now: Date,
): Promise<{ events: HistoryEvent[]; model: RunModel }> => {
  let status: string | undefined;
  let events: HistoryEvent[];
  try {
    status = (await client.send(new DescribeExecutionCommand({ executionArn }))).status;
    events = await fetchHistory(client, executionArn);
  } catch (error) {
    throw explain(error, executionArn);
  }
  return { events, model: runModelFromHistory(events, { executionArn, ...(status ? { status } : {}), now }) };
};

/** Follows an execution to its end; returns the final model (or the last one seen, after maxPolls). */
export const follow = async (o: FollowOptions): Promise<RunModel> => {
  const diff = new ProgressDiff();
  let announced: string | undefined;
  const emit = (e: WatchEvent) => {
    if (o.json) o.out.write(`${JSON.stringify(e)}\n`);
    else for (const line of renderEvent(e, o.paint)) o.out.write(`${line}\n`);
  };
  let model: RunModel | undefined;
  for (let poll = 1; ; poll++) {
    const run = await readRun(o.client, o.executionArn, o.now());
    model = run.model;
    for (const e of diff.next(model)) emit(e);
    const token = pendingApprovalToken(run.events, model);
    if (token && token !== announced) {
      announced = token;
      const region = regionOfArn(o.executionArn);
      emit({
        event: 'approval-waiting',
        step: model.steps.at(-1)?.name ?? 'approval',
        approve: `npx dr-failover approve '${token}' --region ${region}`,
        deny: `npx dr-failover deny '${token}' --region ${region} --reason "…"`,
      });
    }
    if (model.outcome !== 'running') break;
    if (o.maxPolls !== undefined && poll >= o.maxPolls) break;
    await o.sleep(o.intervalMs);
  }
  if (o.json) emit(endedEvent(model));
  else for (const line of renderEnd(model, o.paint)) o.out.write(`${line}\n`);
  return model;
};
