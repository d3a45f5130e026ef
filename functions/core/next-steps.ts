/**
 * What on-call must do next when a run ends without success, by error name. The notification carries it, so the
 * person paged at 3 a.m. reads the state of the world and the next action in the message itself.
 */
const NEXT_STEPS: Record<string, string> = {
  InvalidInputError: 'Nothing was changed. Fix the named field and start the run again.',
  PlanValidationError: 'Nothing was changed. The deployed plan is invalid: fix it, redeploy, start again.',
  ConfigurationError: 'Nothing was changed by this step. Fix the deployment setting named in the error.',
  ReplicationLagExceededError:
    "Nothing was changed. The standby is too far behind for the plan's RPO. Restore the primary, or accept the loss and start a run with a plan whose onExceeded is proceed, or approve when asked.",
  ApprovalDeniedError: 'Nothing was changed. The failover was denied by a person.',
  'States.Timeout':
    'The step did not answer in time. For an approval request nothing was changed. Otherwise check the step named in the timeline, then re-run: every step is idempotent.',
  FenceFailedError:
    'Nothing was promoted. The old primary could not be fenced, so a planned run stopped. Fence it by hand (read-only or stopped) and re-run, or run unplanned if it is down.',
  PromotionFailedError:
    'The standby refused promotion. DNS still points at the old primary. Inspect the standby (events, logs), then promote by hand or re-run.',
  PromotionTimedOutError:
    'Promotion was requested but the standby is not writable yet. DNS still points at the old primary. Watch the standby; once writable, re-run (promotion is idempotent) or update DNS by hand.',
  DnsChangeFailedError:
    'The standby IS promoted and writable, but DNS still points at the old primary. Update the record by hand now (see the runbook) — writes are failing until you do.',
  DnsSyncTimedOutError:
    'The standby IS promoted; the DNS change is submitted but not yet in sync. Check the change status; clients may still resolve the old address for up to the TTL.',
  DnsVerificationFailedError:
    'The standby IS promoted; the record does not answer the new writer. Check the record by hand and correct it.',
  AlreadyInProgressError: 'Nothing was changed. Another run of this plan is in progress or in its cooldown.',
};

export const nextStepsFor = (errorName: string | undefined): string =>
  (errorName && NEXT_STEPS[errorName]) ||
  'Check the execution history for the failed step and the state of the database and DNS; every step is idempotent and safe to re-run.';
