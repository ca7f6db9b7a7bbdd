import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface LatencyProxy {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /** How many client connections the proxy has accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of Postgres that holds every chunk for half the round-trip time in each
 * direction, so a local server behaves like one across a network: on localhost a round trip costs
 * ~0.03 ms and the number of queries hardly shows, in a data centre it is 0.5–2 ms. Timers of
 * equal delay fire in the order they were set, so the byte stream keeps its order. It counts the
 * connections it accepts: what a client opened, also those it has closed since.
 */
export async function startLatencyProxy(url: string, roundTripMs: number): Promise<LatencyProxy> {
  const target = new URL(url);
  const oneWay = roundTripMs / 2;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const relay = (from: Socket, to: Socket) => {
    from.on("data", (chunk) => {
      setTimeout(() => to.write(chunk), oneWay);
    });
    from.on("end", () => setTimeout(() => to.end(), oneWay));
    from.on("error", () => to.destroy());
  };
  const server = createServer((client) => {
    accepted++;
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      // Nagle's algorithm would hold small messages for a delayed ACK (40 ms on Linux).
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(address.port);
  return {
    url: proxied.toString(),
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
