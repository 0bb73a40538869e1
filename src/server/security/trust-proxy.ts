// TRUST_PROXY -> Fastify's trustProxy option, which decides whether request.ip (used by
// the rate limiter and the request log) is the socket's address or one taken from
// X-Forwarded-For. Believing the header from anyone would let every client pick its own
// address, and with it its own rate-limit bucket.

/** Fastify's TrustProxyFunction: whether the hop at `index` (0: the socket's peer) is a trusted proxy. */
export type TrustHop = (address: string, index: number) => boolean;

/**
 * 'false' -> false (the socket address, the default); 'true' -> true (the left-most
 * X-Forwarded-For address: only behind a proxy that overwrites the header); digits n ->
 * the first n hops are trusted whatever their address (only when every path to the
 * gateway passes n proxies: a direct client could otherwise name its own address);
 * otherwise a comma list of proxy addresses, CIDRs or proxy-addr names (loopback,
 * linklocal, uniquelocal) whose X-Forwarded-For entries are believed.
 * The setting's format is checked when settings load (config.ts).
 */
export function trustProxyOption(value: string): boolean | TrustHop | string[] {
  const v = value.trim().toLowerCase();
  if (v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) {
    // Fastify 5 turns a plain number into "trust nothing"; a hop count is what the setting means.
    const hops = Number(v);
    return (_address, index) => index < hops;
  }
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
