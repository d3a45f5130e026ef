/** Timers of the lab's stand-ins that stand for AWS delays. */

/**
 * Calls `fn` once Date.now() has reached `due`, never before: what a stand-in shows `delayMs` after an event must not
 * show sooner. A Node timer can fire a millisecond early by Date.now() (libuv counts from its cached loop time;
 * measured here, 13 of 300 timers of 30 ms fired at 29 ms), so an early one waits out the rest. The live timer is
 * kept in `timers` (replaced when it waits again), so that a stop can clear it.
 */
export const notBefore = (due: number, fn: () => void, timers: Set<NodeJS.Timeout>): void => {
  const timer = setTimeout(
    () => {
      timers.delete(timer);
      if (Date.now() < due) notBefore(due, fn, timers);
      else fn();
    },
    Math.max(0, due - Date.now()),
  );
  timers.add(timer);
};
