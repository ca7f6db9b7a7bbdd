import { randomBytes } from "node:crypto";
import http from "node:http";
import { BlockList, isIP } from "node:net";
import { ConfigError, type Env, readEnv } from "@/env";

/**
 * The client address that rate limiting keys on, decided where the socket is still visible: a
 * client reaching the server directly cannot choose it. Next hands route handlers no socket and
 * fills `X-Forwarded-For` from the socket only when the client sent none, so Better Auth alone
 * would key on whatever address a client claims. `installClientAddress()` (from
 * `instrumentation.ts`) therefore rewrites `X-Forwarded-For` of every incoming request to the one
 * address resolved below, which Better Auth then reads as is.
 *
 * - `CLIENT_IP_HEADER` set: the header the platform's edge writes (and clients cannot), e.g.
 *   `cf-connecting-ip`, `fly-client-ip`, or `x-real-ip` from your own nginx.
 * - the socket's peer is one of `BETTER_AUTH_TRUSTED_PROXIES`: `X-Forwarded-For` read from the
 *   right, skipping trusted proxies; the first other address is the client.
 * - otherwise: the socket's peer address.
 */
export interface ClientAddressSettings {
  trustedProxies: string[];
  clientIpHeader: string | undefined;
}

export function clientAddressSettingsFromEnv(env: Env = readEnv()): ClientAddressSettings {
  const trustedProxies = (env.BETTER_AUTH_TRUSTED_PROXIES ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const invalid = trustedProxies.filter((entry) => parseSubnet(entry) === undefined);
  if (invalid.length > 0) {
    throw new ConfigError(
      `BETTER_AUTH_TRUSTED_PROXIES: ${invalid.map((entry) => `"${entry}"`).join(", ")} ` +
        "is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32).",
    );
  }
  return { trustedProxies, clientIpHeader: env.CLIENT_IP_HEADER?.toLowerCase() };
}

export type ClientAddressResolver = (
  peer: string | undefined,
  headers: http.IncomingHttpHeaders,
) => string | undefined;

/** What gives the client's address of a request that arrived on a socket from `peer`. */
export function clientAddressResolver(settings: ClientAddressSettings): ClientAddressResolver {
  const proxies = trustedList(settings.trustedProxies);
  const edgeHeader = settings.clientIpHeader;
  return (peer, headers) => {
    const socketAddress = peer === undefined ? undefined : normalize(peer);
    if (edgeHeader) {
      const value = normalize(firstValue(headers[edgeHeader])?.split(",")[0]?.trim() ?? "");
      return isIP(value) ? value : socketAddress;
    }
    return fromForwardedChain(proxies, socketAddress, headers);
  };
}

function fromForwardedChain(
  proxies: BlockList,
  socketAddress: string | undefined,
  headers: http.IncomingHttpHeaders,
): string | undefined {
  if (socketAddress === undefined || !isTrusted(proxies, socketAddress)) return socketAddress;
  const chain = (firstValue(headers["x-forwarded-for"]) ?? "")
    .split(",")
    .map((hop) => normalize(hop.trim()))
    .filter((hop) => hop.length > 0);
  for (let index = chain.length - 1; index >= 0; index -= 1) {
    const hop = chain[index] ?? "";
    if (!isIP(hop)) return socketAddress;
    if (!isTrusted(proxies, hop)) return hop;
  }
  return chain[0] ?? socketAddress;
}

const PROOF_HEADER = "x-client-address-proof";
const proofKey = Symbol.for("agency-reporting.client-address-proof");
type ProofHolder = { [proofKey]?: string };

/**
 * Rewrites `X-Forwarded-For` of every request this process receives to the resolved client
 * address, and marks it with a per-process secret so `withResolvedClientAddress` can tell a
 * rewritten request from one that arrived before this ran (Next accepts connections before
 * `register()`). Idempotent.
 */
export function installClientAddress(settings: ClientAddressSettings): void {
  const holder = globalThis as ProofHolder;
  if (holder[proofKey]) return;
  const proof = randomBytes(18).toString("base64url");
  holder[proofKey] = proof;
  const resolve = clientAddressResolver(settings);
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emitWithClientAddress(
    this: http.Server,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === "request") {
      const request = args[0] as http.IncomingMessage;
      const address = resolve(request.socket.remoteAddress, request.headers);
      if (address === undefined) delete request.headers["x-forwarded-for"];
      else request.headers["x-forwarded-for"] = address;
      request.headers[PROOF_HEADER] = proof;
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  };
}

/**
 * The request as Better Auth must see it: its `X-Forwarded-For` only if `installClientAddress`
 * wrote it. Otherwise (the request predates the hook, or the platform runs Next without a Node
 * HTTP server, as serverless functions do) the address comes from `CLIENT_IP_HEADER` when one is
 * configured, and is dropped when not: Better Auth then counts such requests in one shared
 * bucket rather than in one the client chose.
 */
export function withResolvedClientAddress(
  request: Request,
  settings: ClientAddressSettings = clientAddressSettingsFromEnv(),
): Request {
  const proof = (globalThis as ProofHolder)[proofKey];
  if (proof !== undefined && request.headers.get(PROOF_HEADER) === proof) return request;
  const headers = new Headers(request.headers);
  headers.delete("x-forwarded-for");
  headers.delete(PROOF_HEADER);
  if (settings.clientIpHeader) {
    const address = clientAddressResolver(settings)(undefined, {
      [settings.clientIpHeader]: request.headers.get(settings.clientIpHeader) ?? undefined,
    });
    if (address !== undefined) headers.set("x-forwarded-for", address);
  }
  return new Request(request, { headers });
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

function parseSubnet(
  entry: string,
): { address: string; prefix: number; type: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefixText] = entry.split("/");
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d*$/.test(prefixText ?? "") || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    return undefined;
  }
  return { address, prefix, type: version === 4 ? "ipv4" : "ipv6" };
}

function trustedList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const subnet = parseSubnet(entry);
    if (subnet) list.addSubnet(subnet.address, subnet.prefix, subnet.type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? "ipv4" : "ipv6");
}
