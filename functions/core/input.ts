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
    /**
     * Set by the trigger: which alarms or schedule started the run. `failback` (by hand, `dr-failover failback`): the
     * planned way back over a pair rebuilt the other way round, which Prepare refuses unless it observes that pair.
     */
    trigger: z
      .object({
        kind: z.enum(['alarm', 'schedule', 'manual', 'failback']),
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
 * How long before this stack's clock an incident may be said to have started: 24 h. EventBridge gives up on an
 * event after its maximum event age, at most 24 h (the trigger's rules set no other), so an older alarm event is at
 * best one retried all day and more likely replayed from an archive: it must not fail a database over now. 24 h is also
 * the largest RTO target a plan may set (`rto.targetSeconds`) and the longest a run lasts (`MAX_RUN_SECONDS`), so an
 * older start measures nothing but a mistyped date (a month or a year off), which every notification and report
 * would then carry as the RTO. Someone failing over for an older incident starts the clock now and says when it
 * began in the reason.
 */
export const MAX_INCIDENT_AGE_SECONDS = 86_400;

/** Why `at` cannot be when an incident started, with the clock reading `now`; undefined when it can. */
export const implausibleIncidentStart = (at: Date, now: Date): string | undefined => {
  if (at.getTime() > now.getTime() + MAX_CLOCK_SKEW_SECONDS * 1000) {
    return `must not be in the future (now is ${now.toISOString()})`;
  }
  if (at.getTime() < now.getTime() - MAX_INCIDENT_AGE_SECONDS * 1000) {
    return `must not be more than ${MAX_INCIDENT_AGE_SECONDS / 3600} h in the past (now is ${now.toISOString()})`;
  }
  return undefined;
};

/**
 * Validates an execution input; throws InvalidInputError naming the first bad field.
 * @param now when given, an incident that starts after it (beyond clock skew), which would make every measured RTO
 *   negative, or more than MAX_INCIDENT_AGE_SECONDS before it, is refused.
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
  const implausible = now && implausibleIncidentStart(new Date(data.incidentStartedAt), now);
  if (implausible) throw new InvalidInputError('incidentStartedAt', implausible);
  return data;
};
