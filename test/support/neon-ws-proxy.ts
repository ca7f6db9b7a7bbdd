import { once } from "node:events";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { neonConfig } from "@neondatabase/serverless";
import { WebSocket, WebSocketServer } from "ws";

/**
 * Neon's serverless driver speaks Postgres over a WebSocket. For local development Neon documents
 * a WebSocket-to-TCP proxy in front of a plain Postgres (its wsproxy, a Docker image, which this
 * machine cannot run): this is one. Each WebSocket to `/v2?address=<host>:<port>` is piped, both
 * ways, to a TCP connection to that address.
 */
export async function startNeonWsProxy(): Promise<{
  port: number;
  /** How many WebSockets it has piped so far. */
  connections(): number;
  close(): Promise<void>;
}> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(server, "listening");
  let connections = 0;
  server.on("connection", (socket, request) => {
    connections++;
    const address = new URL(request.url ?? "/", "ws://proxy").searchParams.get("address") ?? "";
    const separator = address.lastIndexOf(":");
    const tcp = net.connect(Number(address.slice(separator + 1)), address.slice(0, separator));
    socket.on("message", (data: Buffer) => tcp.write(data));
    tcp.on("data", (chunk) => socket.send(chunk));
    const end = () => {
      socket.terminate();
      tcp.destroy();
    };
    for (const side of [socket, tcp]) {
      side.on("close", end);
      side.on("error", end);
    }
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/**
 * Points Neon's driver at the proxy on `port`, as Neon's docs set it for local development: plain
 * `ws:`, no TLS inside it, no pipelined connect (a plain Postgres does not take it).
 */
export function pointNeonAtProxy(port: number): void {
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host, hostPort) => `127.0.0.1:${port}/v2?address=${host}:${hostPort}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}
