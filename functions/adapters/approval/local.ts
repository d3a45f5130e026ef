/**
 * `ApprovalTimer` for local runs (the drill, tests): at the deadline it fails the waiting task through the local
 * executor's SendTaskFailure, with the same error and cause the EventBridge Scheduler timer sends on AWS.
 */
import type { ApprovalTimeout, ApprovalTimer } from '#core/ports.js';

/** The local executor's SendTaskFailure (lab/state-machine.ts `LocalTaskTokens`). */
export type SendTaskFailure = (taskToken: string, error: string, cause: string) => void;

export interface LocalTimerClock {
  now: () => Date;
  /** Runs `fire` after `ms`; tests pass a virtual clock. */
  setTimer: (fire: () => void, ms: number) => void;
}

const realClock: LocalTimerClock = {
  now: () => new Date(),
  // Unref'd: a timer left behind by a finished run must not keep the drill's process alive.
  setTimer: (fire, ms) => {
    setTimeout(fire, ms).unref();
  },
};

export class LocalApprovalTimer implements ApprovalTimer {
  readonly #sendTaskFailure: SendTaskFailure;
  readonly #clock: LocalTimerClock;
  readonly #armed = new Set<string>();

  constructor(sendTaskFailure: SendTaskFailure, clock: LocalTimerClock = realClock) {
    this.#sendTaskFailure = sendTaskFailure;
    this.#clock = clock;
  }

  async arm(request: ApprovalTimeout): Promise<{ timerId: string }> {
    const timerId = `local/${request.taskToken}`;
    if (this.#armed.has(request.taskToken)) return { timerId };
    this.#armed.add(request.taskToken);
    const delay = Math.max(0, request.deadline.getTime() - this.#clock.now().getTime());
    this.#clock.setTimer(() => {
      try {
        this.#sendTaskFailure(request.taskToken, 'ApprovalTimedOutError', JSON.stringify(request.cause));
      } catch {
        // Answered first: the task is closed and, as on AWS, the late failure is refused. Nothing to do.
      }
    }, delay);
    return { timerId };
  }
}
