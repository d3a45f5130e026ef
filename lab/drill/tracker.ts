/** Follows a local execution's events: one record per state entered, for live progress and the report's phases. */
import type { Plan } from '#core/plan.js';
import type { FailoverState } from '#core/state.js';
import type { EventLog } from '../state-machine.js';
import { round } from './time.js';
import type { DrillProgress, Interval, StateRecord } from './types.js';

/** Reads `$.plan.a.b` from the state a Wait state sees. */
export const planSeconds = (plan: Plan, secondsPath: string | undefined): number => {
  if (!secondsPath?.startsWith('$.plan.')) return 0;
  let v: unknown = plan;
  for (const key of secondsPath.slice('$.plan.'.length).split('.'))
    v = (v as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'number' ? v : 0;
};

/** Follows the execution's events into per-state records and live progress. */
export class StateTracker {
  readonly states: StateRecord[] = [];
  executionStartedAt: number | undefined;

  constructor(private readonly progress: (p: DrillProgress) => void) {}

  on = (event: EventLog): void => {
    const e = event as EventLog & { state?: { name: string; type: string; output?: unknown }; Error?: string };
    if (event.type === 'ExecutionStarted') {
      this.executionStartedAt = event.timestamp;
      return;
    }
    if (!e.state) return;
    const open = this.states.findLast((s) => s.name === e.state?.name && s.exitedAt === undefined);
    switch (event.type) {
      case 'StateEntered': {
        // A caught state may not report its exit: it ended when the next one began.
        for (const s of this.states) if (s.exitedAt === undefined && s.caught) s.exitedAt = event.timestamp;
        this.states.push({ name: e.state.name, type: e.state.type, enteredAt: event.timestamp, retries: 0 });
        if (e.state.type === 'Task' || e.state.type === 'Wait' || e.state.type === 'Fail') {
          this.progress({ group: 'state', step: e.state.name, status: 'running', at: event.timestamp });
        }
        break;
      }
      case 'StateExited': {
        if (!open) break;
        open.exitedAt = event.timestamp;
        const output = e.state.output as Partial<FailoverState> | undefined;
        const last = output?.timeline?.at(-1);
        if (open.type === 'Task' && last) open.outcome = last.outcome;
        if (open.type === 'Task' || open.type === 'Wait') {
          this.progress({
            group: 'state',
            step: open.name,
            status: open.caught ? 'failed' : 'done',
            at: event.timestamp,
            ms: event.timestamp - open.enteredAt,
            ...(open.outcome ? { detail: open.outcome } : open.failed ? { detail: open.failed } : {}),
          });
        }
        break;
      }
      case 'StateFailed':
        if (open) open.failed = `${e.Error ?? 'Error'}`;
        break;
      case 'StateRetried':
        if (open) {
          open.retries += 1;
          this.progress({
            group: 'state',
            step: open.name,
            status: 'retry',
            at: event.timestamp,
            detail: `retry ${open.retries} after ${open.failed ?? 'an error'}`,
          });
        }
        break;
      case 'StateCaught':
        if (open) {
          open.caught = true;
          this.progress({
            group: 'state',
            step: open.name,
            status: 'failed',
            at: event.timestamp,
            ms: event.timestamp - open.enteredAt,
            detail: `${open.failed ?? 'error'} caught`,
          });
        }
        break;
      default:
        break;
    }
  };

  span(first: string[], last: string[], incidentAt: number): Interval | undefined {
    const start = this.states.find((s) => first.includes(s.name))?.enteredAt;
    const end = this.states.findLast((s) => last.includes(s.name))?.exitedAt;
    if (start === undefined || end === undefined) return undefined;
    return { start: round(start - incidentAt), end: round(end - incidentAt), ms: round(end - start) };
  }

  duration(name: string): number | undefined {
    const s = this.states.find((x) => x.name === name);
    return s?.exitedAt === undefined ? undefined : round(s.exitedAt - s.enteredAt);
  }
}
