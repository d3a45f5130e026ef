/**
 * What a drill started, stopped in reverse order: the detector before the workload, the workload before DNS, DNS
 * before the regions. Every drill in progress is listed, so a Ctrl-C handler can stop them all.
 */
const active = new Set<Teardown>();

export class Teardown {
  readonly #stops: (() => Promise<unknown>)[] = [];
  #done = false;

  constructor() {
    active.add(this);
  }

  /** Registers how to stop something just started; returns it, so a start reads `x = teardown.add(await start(), stop)`. */
  add<T>(thing: T, stop: (thing: T) => Promise<unknown>): T {
    this.#stops.push(() => stop(thing));
    return thing;
  }

  /** Stops everything, last started first; a failure to stop one never keeps the others running. Idempotent. */
  async run(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    active.delete(this);
    for (const stop of this.#stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Stops and removes everything every drill in progress started. Safe to call at any time. */
export const cleanupActiveDrills = async (): Promise<void> => {
  await Promise.allSettled([...active].map((t) => t.run()));
};
