/**
 * A caching stub resolver for the drill's write workload. PostgreSQL clients resolve through the system resolver
 * (getaddrinfo), which never asks the drill's loopback server; this one does, and caches each answer for its TTL
 * as a real stub or OS cache would, so the drill's RTO honestly includes the time clients keep using the old
 * address after the switch.
 */
import { Resolver } from 'node:dns/promises';

export interface TtlResolverOptions {
  /** Milliseconds clock; injected by tests to step past a TTL without sleeping. Default performance.now. */
  now?: () => number;
  /** Bound of one DNS query. Default 2000 ms. */
  timeoutMs?: number;
}

export interface TtlAnswer {
  address: string;
  /** Seconds the answer may still be used: the record's TTL when fresh, less as a cached answer ages. */
  ttl: number;
  /** True when served from the cache without asking the server. */
  cached: boolean;
}

export interface TtlResolver {
  /**
   * The record's first A address. Rejects with the resolver's own error (code ENOTFOUND, ETIMEOUT, ...);
   * failures are not cached, so the next call asks again.
   */
  resolve(name: string): Promise<TtlAnswer>;
  /** Drops every cached answer. */
  clear(): void;
}

interface Entry {
  address: string;
  ttl: number;
  /** Clock time at which the answer expires. */
  expiresAt: number;
}

/** @param nameserver `host:port` of the DNS server (the plan's `dns.nameserver`) */
export const createTtlResolver = (nameserver: string, opts: TtlResolverOptions = {}): TtlResolver => {
  const now = opts.now ?? (() => performance.now());
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 2_000, tries: 1 });
  resolver.setServers([nameserver]);
  const cache = new Map<string, Entry>();
  // Concurrent misses for one name share one query, as a real cache does.
  const inFlight = new Map<string, Promise<TtlAnswer>>();

  const query = async (key: string): Promise<TtlAnswer> => {
    const [first] = await resolver.resolve4(key, { ttl: true });
    if (!first) throw Object.assign(new Error(`no A record for ${key}`), { code: 'ENODATA' });
    // TTL 0 means "do not cache" (RFC 1035 §3.2.1).
    if (first.ttl > 0) cache.set(key, { address: first.address, ttl: first.ttl, expiresAt: now() + first.ttl * 1000 });
    return { address: first.address, ttl: first.ttl, cached: false };
  };

  return {
    resolve(name) {
      const key = name.trim().replace(/\.$/, '').toLowerCase();
      const entry = cache.get(key);
      const t = now();
      if (entry && t < entry.expiresAt) {
        return Promise.resolve({
          address: entry.address,
          ttl: Math.max(0, Math.ceil((entry.expiresAt - t) / 1000)),
          cached: true,
        });
      }
      cache.delete(key);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = query(key).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    clear() {
      cache.clear();
    },
  };
};
