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

/** Where the run left the world when it failed, as the notification states it. */
export interface WorldState {
  promoted: boolean;
  dnsSwitched: boolean;
}

const PROMOTED_DNS_NOT_SWITCHED =
  'The standby IS promoted and writable, but the DNS record still points at the old primary: applications are not ' +
  'writing to the new primary. Point the record at the new writer by hand (see the runbook) or re-run the plan once ' +
  'the DNS service answers (every step is idempotent; promotion is a no-op now). Until then keep the old primary ' +
  'fenced or down: if it comes back writable, clients resolving the record would write to it.';

export const nextStepsFor = (errorName: string | undefined, world?: WorldState): string =>
  (errorName && NEXT_STEPS[errorName]) ||
  // A transient error that outlasted its retries (a DNS service down, throttling): what to do depends on how far
  // the run got, not on the error's name.
  (world?.promoted && !world.dnsSwitched ? PROMOTED_DNS_NOT_SWITCHED : undefined) ||
  'Check the execution history for the failed step and the state of the database and DNS; every step is idempotent and safe to re-run.';
