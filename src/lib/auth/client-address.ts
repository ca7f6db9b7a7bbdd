import { randomBytes } from "node:crypto";
import http from "node:http";
import { BlockList, isIP } from "node:net";
import { ConfigError, type Env, readEnv } from "@/env";

/**
 * The client address that rate limiting keys on, decided where the client cannot choose it.
 * Next hands route handlers no socket and fills `X-Forwarded-For` from the socket only when the
 * client sent none, so Better Auth alone would key on whatever address a client claims.
 * `installClientAddress()` (from the boot) therefore rewrites `X-Forwarded-For` of every incoming
 * request to the one address resolved below, which Better Auth then reads as is.
 *
 * - `CLIENT_IP_HEADER` set: the header the platform's edge writes (and clients cannot), e.g.
 *   `cf-connecting-ip`, `fly-client-ip`, or `x-real-ip` from your own nginx. It must hold one
 *   address; the socket (the edge's own address, shared by every client) is never used.
 * - `VERCEL=1` without it: Vercel's edge headers, `x-vercel-forwarded-for` then `x-forwarded-for`
 *   (the edge overwrites both). The socket is the runtime's local bridge, the same for everyone.
 * - the socket's peer is one of `BETTER_AUTH_TRUSTED_PROXIES`: `X-Forwarded-For` read from the
 *   right, skipping trusted proxies; the first other address is the client.
 * - otherwise: the socket's peer address.
 *
 * A request with no usable address gets none: Better Auth then gives it no per-address bucket
 * (`hasClientAddress`, create-auth.ts), rather than one bucket shared by every such request, which
 * one client could fill to lock everyone out. The per-account limit still applies to it.
 */
export interface ClientAddressSettings {
  trustedProxies: string[];
  /**
   * Headers an edge writes the client's address into, the first present one decides; empty: the
   * socket (and trusted proxies) decide.
   */
  addressHeaders: string[];
  /** Where `addressHeaders` came from, for messages: `CLIENT_IP_HEADER` or `VERCEL=1`. */
  addressHeadersFrom?: string;
}

/** What Vercel's edge writes on every request it forwards, overwriting what the client sent. */
export const VERCEL_ADDRESS_HEADERS = ["x-vercel-forwarded-for", "x-forwarded-for"];

/**
 * Headers that proxies append to and clients can start: taking them as the edge's word would let
 * a client choose its address. Behind proxies that append, list them in
 * BETTER_AUTH_TRUSTED_PROXIES instead.
 */
const LIST_HEADERS = new Set(["x-forwarded-for", "forwarded"]);

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
  const header = env.CLIENT_IP_HEADER?.toLowerCase();
  if (header !== undefined && LIST_HEADERS.has(header)) {
    throw new ConfigError(
      `CLIENT_IP_HEADER: ${header} is a list that each proxy appends to and that the client can ` +
        "start, so it does not name the client. Name a header your edge overwrites with one " +
        "address (cf-connecting-ip, fly-client-ip, your nginx's x-real-ip), or list your proxies " +
        "in BETTER_AUTH_TRUSTED_PROXIES. On Vercel, leave it unset (docs/security.md).",
    );
  }
  if (header !== undefined) {
    return { trustedProxies, addressHeaders: [header], addressHeadersFrom: "CLIENT_IP_HEADER" };
  }
  if (env.VERCEL) {
    return {
      trustedProxies,
      addressHeaders: VERCEL_ADDRESS_HEADERS,
      addressHeadersFrom: "VERCEL=1",
    };
  }
  return { trustedProxies, addressHeaders: [] };
}

export type ClientAddressResolver = (
  peer: string | undefined,
  headers: http.IncomingHttpHeaders,
) => string | undefined;

/** What gives the client's address of a request that arrived on a socket from `peer`. */
export function clientAddressResolver(settings: ClientAddressSettings): ClientAddressResolver {
  const proxies = trustedList(settings.trustedProxies);
  const { addressHeaders } = settings;
  return (peer, headers) => {
    if (addressHeaders.length > 0) return fromEdgeHeaders(addressHeaders, headers);
    const socketAddress = peer === undefined ? undefined : normalize(peer);
    return fromForwardedChain(proxies, socketAddress, headers);
  };
}

/**
 * The address in the first of `names` the request carries; none when that header holds anything
 * but one address. An edge that overwrites the header writes exactly one, so a list means
 * something appended to it, and which entry is whose cannot be known here.
 */
function fromEdgeHeaders(names: string[], headers: http.IncomingHttpHeaders): string | undefined {
  const name = names.find((candidate) => headers[candidate] !== undefined);
  const value = name === undefined ? undefined : headers[name];
  const entries = (Array.isArray(value) ? value : [value ?? ""])
    .flatMap((item) => item.split(","))
    .map((entry) => normalize(entry.trim()));
  const [only] = entries;
  return entries.length === 1 && only !== undefined && isIP(only) ? only : undefined;
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
/**
 * What the hook resolved, empty for none. `X-Forwarded-For` alone cannot carry "none": Next fills
 * it from the socket when the request has none, after the hook ran.
 */
const RESOLVED_HEADER = "x-client-address-resolved";
const proofKey = Symbol.for("agency-reporting.client-address-proof");
type ProofHolder = { [proofKey]?: string };

/**
 * Rewrites `X-Forwarded-For` of every request this process receives to the resolved client
 * address (for whatever reads it, such as the session rows pages create), records the address in
 * a header of its own, and marks the request with a per-process secret so
 * `withResolvedClientAddress` can tell a request the hook saw from one that arrived before it ran
 * (Next accepts connections before `register()`). Idempotent.
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
      request.headers[RESOLVED_HEADER] = address ?? "";
      request.headers[PROOF_HEADER] = proof;
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  };
}

/**
 * The request as Better Auth must see it: its `X-Forwarded-For` holding the address the hook
 * resolved, or none. For a request the hook did not see (it predates the hook, or the platform
 * runs Next without a Node HTTP server) the address is resolved here the same way, without the
 * socket: from the edge's headers when the settings name them, otherwise none. A request left
 * without an address has no per-address limit (`hasClientAddress`); the first such request is
 * reported through `warn`, once per process.
 */
export function withResolvedClientAddress(
  request: Request,
  settings: ClientAddressSettings = clientAddressSettingsFromEnv(),
  warn: (message: string) => void = console.warn,
): Request {
  const proof = (globalThis as ProofHolder)[proofKey];
  const sawHook = proof !== undefined && request.headers.get(PROOF_HEADER) === proof;
  const address = sawHook
    ? request.headers.get(RESOLVED_HEADER) || undefined
    : resolveWithoutSocket(request, settings);
  const headers = new Headers(request.headers);
  headers.delete(PROOF_HEADER);
  headers.delete(RESOLVED_HEADER);
  if (address === undefined) {
    headers.delete("x-forwarded-for");
    warnOnce(settings, warn);
  } else {
    headers.set("x-forwarded-for", address);
  }
  return new Request(request, { headers });
}

function resolveWithoutSocket(
  request: Request,
  settings: ClientAddressSettings,
): string | undefined {
  const edgeHeaders = Object.fromEntries(
    settings.addressHeaders.flatMap((name) => {
      const value = request.headers.get(name);
      return value === null ? [] : [[name, value]];
    }),
  );
  return clientAddressResolver(settings)(undefined, edgeHeaders);
}

/** Whether the request, as `withResolvedClientAddress` returned it, has a client address. */
export function hasClientAddress(request: Request): boolean {
  return request.headers.get("x-forwarded-for") !== null;
}

/** The `warn` functions already told, on `globalThis` so that every bundle of the process shares it. */
const warnedKey = Symbol.for("agency-reporting.client-address-warned");
type WarnedHolder = { [warnedKey]?: WeakSet<object> };

function warnOnce(settings: ClientAddressSettings, warn: (message: string) => void): void {
  const holder = globalThis as WarnedHolder;
  holder[warnedKey] ??= new WeakSet();
  if (holder[warnedKey].has(warn)) return;
  holder[warnedKey].add(warn);
  const why =
    settings.addressHeaders.length > 0
      ? `it carried no single address in ${settings.addressHeaders.join(" or ")} ` +
        `(${settings.addressHeadersFrom ?? "the settings"} names ${settings.addressHeaders.length > 1 ? "them" : "it"})`
      : "it reached the app before the address hook was installed, or the runtime hands " +
        "requests to Next without a Node HTTP server";
  warn(
    `[auth] a request came without a usable client address: ${why}. Such requests get no ` +
      "per-address rate limit (never one bucket shared by all of them); the per-account " +
      "sign-in limit still applies. This is logged once per process (docs/security.md).",
  );
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
