import type { IncomingMessage } from "node:http";

/**
 * The headers Vercel's edge writes on every request before it reaches a function. The edge
 * overwrites them (a client that sends its own `x-forwarded-for` gets it replaced by the address
 * it connected from), so the emulation drops whatever the client sent under these names and
 * writes the socket's address.
 */
const EDGE_HEADERS = ["x-forwarded-for", "x-real-ip", "x-forwarded-host", "x-forwarded-proto"];

export interface EdgeSettings {
  /** `VERCEL_URL` of the deployment (host, no scheme). */
  deploymentHost: string;
  region: string;
}

export function edgeHeaders(request: IncomingMessage, settings: EdgeSettings): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (EDGE_HEADERS.includes(name) || name.startsWith("x-vercel-")) continue;
    for (const item of [value].flat()) if (item !== undefined) headers.append(name, item);
  }
  const client = clientAddress(request.socket.remoteAddress);
  headers.set("x-forwarded-for", client);
  headers.set("x-real-ip", client);
  headers.set("x-vercel-forwarded-for", client);
  headers.set("x-forwarded-host", request.headers.host ?? settings.deploymentHost);
  headers.set("x-forwarded-proto", "http");
  headers.set("x-vercel-deployment-url", settings.deploymentHost);
  headers.set("x-vercel-id", `${settings.region}::${Date.now().toString(36)}`);
  return headers;
}

/** `::ffff:127.0.0.2` (IPv4 on a dual-stack socket) is written as `127.0.0.2`, as Vercel does. */
function clientAddress(address: string | undefined): string {
  if (!address) throw new Error("a request without a peer address reached the edge");
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}
