import type { Plan } from '../plan.js';
import type { ApprovalTimer, DatabaseFailover, DnsSwitch, Notifier, ReturnScheduler } from '../ports.js';
import type { FailoverState } from '../state.js';

/** What a step may need from the outside world; each step declares the subset it uses. */
export interface StepDeps {
  now: () => Date;
  /** The region this stack runs in; Prepare refuses plans whose standby is elsewhere. */
  region?: string;
  /** The validated plan catalogue (loaded once per cold start). */
  plans: () => ReadonlyMap<string, Plan>;
  database: (plan: Plan) => Promise<DatabaseFailover>;
  dns: (plan: Plan) => Promise<DnsSwitch>;
  /** `undefined` plan: the run failed before a plan was resolved; use the deployment's default targets. */
  notifier: (plan: Plan | undefined) => Promise<Notifier>;
  /** Arms the plan's approval deadline (approval steps only). */
  approvalTimer: (plan: Plan) => Promise<ApprovalTimer>;
  /** Arms a round-trip game day's way back (its Failover Succeeded notification only). */
  returnScheduler: (plan: Plan) => Promise<ReturnScheduler>;
}

/** The payload every Task sends: its step name, the execution id and the whole state. */
export interface StepPayload<S = FailoverState> {
  step: string;
  executionId: string;
  state: S;
  /** Only on `.waitForTaskToken` steps. */
  taskToken?: string;
}
