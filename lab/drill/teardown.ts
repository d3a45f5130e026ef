/**
 * What a drill started, stopped in reverse order: the detector before the workload, the workload before DNS, DNS
 * before the regions. Every drill in progress is listed, so a Ctrl-C handler can stop them all.
 */
const active = new Set<Teardown>();

export class Teardown {
  readonly #stops: (() => Promise<unknown>)[] = [];
  /** Starts under way: run() waits for them, so what they start is stopped too. */
  readonly #starting = new Set<Promise<unknown>>();
  #done = false;

  constructor() {
    active.add(this);
  }

  /** Registers how to stop something just started; returns it, so a start reads `x = teardown.add(await start(), stop)`. */
  add<T>(thing: T, stop: (thing: T) => Promise<unknown>): T {
    this.#stops.push(() => stop(thing));
    return thing;
  }

  /**
   * Registers a start still under way (`x = await teardown.starting(start(), stop)`): once up it is registered as
   * `add` does, and a run() called meanwhile (a drill stopped from outside, such as a test that timed out while the
   * servers started) waits for it and stops it too, instead of leaving its processes running.
   */
  starting<T>(start: Promise<T>, stop: (thing: T) => Promise<unknown>): Promise<T> {
    const registered = start.then((thing) => this.add(thing, stop));
    this.#starting.add(registered);
    void registered.catch(() => undefined).finally(() => this.#starting.delete(registered));
    return registered;
  }

  /** Stops everything, last started first; a failure to stop one never keeps the others running. Idempotent. */
  async run(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    active.delete(this);
    await Promise.allSettled([...this.#starting]);
    for (const stop of this.#stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Stops and removes everything every drill in progress started. Safe to call at any time. */
export const cleanupActiveDrills = async (): Promise<void> => {
  await Promise.allSettled([...active].map((t) => t.run()));
};

/**
 * For the drill's command lines: an error nobody caught (a server's process failing to spawn, say) ends the command
 * with one line, `<what> failed: <message>`, after stopping every drill in progress; DR_FAILOVER_DEBUG=1 adds the
 * stack.
 */
export const failInOneLine = (what: string): void => {
  const fail = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\n${what} failed: ${message.split('\n')[0]}\n`);
    if (process.env.DR_FAILOVER_DEBUG && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    void cleanupActiveDrills().finally(() => process.exit(1));
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
};
