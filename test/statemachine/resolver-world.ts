/**
 * The resolver Verify asks for the data-plane mechanisms, for executed-ASL tests: a DNS server on loopback, made the
 * process's system resolver (node:dns/promises `setServers`), answering the record as a recursive resolver in a VPC
 * would: the CNAME of the failover pair's member Route 53 picks now (an IPv4 target as an A record), and, when told,
 * the old answer from its cache for the first `staleAnswers` queries after the switch. A resolver may serve a cached
 * answer until its TTL runs out ("the amount of time, in seconds, that you want DNS recursive resolvers to cache
 * information about this record").
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-basic.html#rrsets-values-basic-ttl
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html
 */
import { setServers } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { createUDPServer, Packet, type Resource } from 'dns2';

export interface ResolverWorld {
  /** What the record answers now (the pair's current choice); undefined: NXDOMAIN. */
  answer: () => string | undefined;
  /** The answer served from cache while `staleAnswers` lasts. */
  cached?: string;
  /** How many more queries (CNAME and A each count) get `cached`. */
  staleAnswers: number;
  queries: number;
}

export const resolverWorld: ResolverWorld = { answer: () => undefined, staleAnswers: 0, queries: 0 };

const server = createUDPServer((request, send) => {
  const response = Packet.createResponseFromRequest(request);
  response.header.ra = 1;
  const [question] = request.questions;
  resolverWorld.queries += 1;
  const stale = resolverWorld.staleAnswers > 0 && resolverWorld.cached !== undefined;
  if (stale) resolverWorld.staleAnswers -= 1;
  const value = stale ? resolverWorld.cached : resolverWorld.answer();
  if (!question || value === undefined) {
    response.header.rcode = Packet.RCODE.NXDOMAIN;
  } else {
    const a = isIPv4(value);
    const base = { name: question.name, class: Packet.CLASS.IN, ttl: 30 };
    if (a && question.type === Packet.TYPE.A)
      response.answers.push({ ...base, type: Packet.TYPE.A, address: value } as Resource);
    if (!a && question.type === Packet.TYPE.CNAME) {
      response.answers.push({ ...base, type: Packet.TYPE.CNAME, domain: value } as Resource);
    }
  }
  void send(response);
});
await server.listen(0, '127.0.0.1');
setServers([`127.0.0.1:${(server.address() as { port: number }).port}`]);

/** A fresh world: answers `answer()`, nothing cached. */
export const resetResolverWorld = (answer: () => string | undefined) => {
  Object.assign(resolverWorld, { answer, staleAnswers: 0, queries: 0 });
  delete resolverWorld.cached;
};
