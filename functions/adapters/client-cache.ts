/**
 * One SDK client per (class, region, settings), built on first use and kept for the life of the execution
 * environment. Every step runs cold, so clients are built lazily: a step pays only for the clients it uses.
 */
const cache = new Map<string, unknown>();

export interface ClientSettings {
  /** 1 for best-effort calls into a region that may be dark (fencing the old primary). */
  maxAttempts?: number;
  /** Bound on connecting and on the whole request, for calls that must not hang a step. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

type ClientConfig = {
  region: string;
  maxAttempts?: number;
  requestHandler?: { connectionTimeout?: number; requestTimeout?: number };
};

export const clientFor = <C>(
  Client: new (config: ClientConfig) => C,
  region: string,
  settings: ClientSettings = {},
): C => {
  const key = `${Client.name}|${region}|${settings.maxAttempts ?? ''}|${settings.connectionTimeoutMs ?? ''}|${settings.requestTimeoutMs ?? ''}`;
  let client = cache.get(key) as C | undefined;
  if (!client) {
    const config: ClientConfig = { region };
    if (settings.maxAttempts !== undefined) config.maxAttempts = settings.maxAttempts;
    if (settings.connectionTimeoutMs !== undefined || settings.requestTimeoutMs !== undefined) {
      config.requestHandler = {
        connectionTimeout: settings.connectionTimeoutMs,
        requestTimeout: settings.requestTimeoutMs,
      };
    }
    client = new Client(config);
    cache.set(key, client);
  }
  return client;
};
