/**
 * A custom action: what a plan cannot name (a cache to warm, a feature pipeline to repoint, a queue to drain) done by
 * the team's own Lambda function in the standby region. dr-failover invokes it synchronously with the run's context
 * and an idempotency key that stays the same across retries and re-runs of the same run, and judges its answer.
 */
import * as z from 'zod';
import { parseArn } from './arn.js';

/** Lambda function ARNs: arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>]. */
const FUNCTION = /^function:[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]{1,128}))?$/;

export const customActionConfig = z
  .object({
    functionArn: z
      .string()
      .max(256)
      .refine((v) => {
        const arn = parseArn(v);
        return arn?.service === 'lambda' && FUNCTION.test(arn.resource);
      }, 'must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])'),
    /** Free-form input the function receives as `input` (at most 4 KB of JSON). */
    input: z
      .record(z.string(), z.unknown())
      .refine((v) => JSON.stringify(v).length <= 4096, 'must be at most 4 KB of JSON')
      .optional(),
  })
  .strict();

/** What the function receives. Its answer must be a JSON object with `ok` true (done) or false (with `reason`). */
export interface CustomActionRequest {
  plan: string;
  component: string;
  mode: 'planned' | 'unplanned';
  dryRun: boolean;
  /** The same for every attempt of this component in this run: the function must do its work once per key. */
  idempotencyKey: string;
  input: Record<string, unknown>;
}

export type CustomActionVerdict = { ok: true; detail: string } | { ok: false; detail: string };

/** The function's answer, judged: anything but `{ "ok": true }` is not done, with what it said. */
export const judgeCustomAction = (answer: unknown): CustomActionVerdict => {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    return { ok: false, detail: `answered ${JSON.stringify(answer)?.slice(0, 200)}, not a JSON object` };
  }
  const { ok, reason, detail } = answer as { ok?: unknown; reason?: unknown; detail?: unknown };
  const said = typeof detail === 'string' ? detail : typeof reason === 'string' ? reason : '';
  if (ok === true) return { ok: true, detail: said.slice(0, 500) || 'done' };
  return { ok: false, detail: (said || `answered without "ok": true`).slice(0, 500) };
};
