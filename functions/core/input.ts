import * as z from 'zod';
import { InvalidInputError } from './errors.js';
import { planName } from './plan.js';
import { cleanText } from './text.js';

/**
 * The one execution input shape: the console, the CLI and the trigger all start runs with it.
 * Anything else is refused by Prepare with InvalidInputError naming the field.
 */
export const executionInputSchema = z
  .object({
    plan: planName,
    mode: z.enum(['planned', 'unplanned']),
    dryRun: z.boolean().default(false),
    reason: cleanText(1000),
    requestedBy: cleanText(256),
    incidentStartedAt: z.iso.datetime({
      offset: true,
      message: 'must be an ISO-8601 timestamp such as 2026-11-25T03:12:00Z',
    }),
    /** Manual runs only: start even inside the plan's cooldown. Recorded in every notification. */
    overrideCooldown: z.boolean().default(false),
    /** Set by the trigger: which alarms or schedule started the run. */
    trigger: z
      .object({
        kind: z.enum(['alarm', 'schedule', 'manual']),
        source: cleanText(512),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ExecutionInput = z.infer<typeof executionInputSchema>;
export type FailoverMode = ExecutionInput['mode'];

/** How far ahead of this stack's clock an incident may be said to start (clock skew between machines). */
const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * Validates an execution input; throws InvalidInputError naming the first bad field.
 * @param now when given, an incident that starts after it (beyond clock skew) is refused: it would make every
 *   measured RTO negative.
 */
export const parseExecutionInput = (input: unknown, now?: Date): ExecutionInput => {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError('(root)', 'must be a JSON object');
  }
  const result = executionInputSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      throw new InvalidInputError(
        issue.keys.map((k) => [...issue.path, k].map(String).join('.')).join(', '),
        'unknown field',
      );
    }
    throw new InvalidInputError(issue?.path.map(String).join('.') || '(root)', issue?.message ?? 'invalid');
  }
  const data = result.data;
  if (now !== undefined && Date.parse(data.incidentStartedAt) > now.getTime() + MAX_CLOCK_SKEW_SECONDS * 1000) {
    throw new InvalidInputError('incidentStartedAt', `must not be in the future (now is ${now.toISOString()})`);
  }
  return data;
};
