import net from "node:net";

/**
 * A TCP proxy in front of a database that can turn into a black hole: connections stay open but
 * nothing passes any more, in either direction, and new ones are accepted and never answered.
 * What a database behind a failed network path or a hung host looks like to the app.
 */
export interface BlackHoleProxy {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /**
   * With `onlyOpenConnections`, connections made afterwards pass as before: the paths of the
   * connections already open broke (a NAT or load balancer forgot them), not the database.
   */
  blackHole(options?: { onlyOpenConnections?: boolean }): void;
  close(): Promise<void>;
}

export async function startBlackHoleProxy(targetUrl: string): Promise<BlackHoleProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const pairs: { client: net.Socket; upstream: net.Socket }[] = [];
  let holed = false;

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("error", () => {});
    if (holed) {
      client.on("data", () => {});
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push({ client, upstream });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);

  return {
    url: url.toString(),
    blackHole({ onlyOpenConnections = false } = {}) {
      holed = !onlyOpenConnections;
      for (const { client, upstream } of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        // Keep reading so the sockets stay open, and drop what arrives.
        client.on("data", () => {});
        upstream.on("data", () => {});
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
