import type { Sql } from "postgres";

/**
 * A postgres.js client that can be swapped for a fresh one. postgres.js has no way to close one of
 * its connections, so a connection that stopped answering (its statement missed the deadline and
 * even the cancel got no answer) is taken out of service with its whole client: new work goes to a
 * new client at once, and the old one closes each connection as soon as its statement ends, and
 * every one of them after `closeTimeoutSeconds`.
 */
export interface ReplaceableClient {
  current(): Sql;
  /** Replaces `client` if it is still the current one; a no-op for one already replaced. */
  replace(client: Sql): void;
  /** Ends the current client and any still closing. */
  end(options: { timeout: number }): Promise<void>;
}

export function replaceableClient(make: () => Sql, closeTimeoutSeconds: number): ReplaceableClient {
  let current = make();
  const closing = new Set<Promise<void>>();
  return {
    current: () => current,
    replace(client) {
      if (client !== current) return;
      const next = make();
      // drizzle sets parsers and serializers on the client it is given (dates and JSON pass
      // through as strings); the new client must read and write values the same way.
      Object.assign(next.options.parsers, client.options.parsers);
      Object.assign(next.options.serializers, client.options.serializers);
      current = next;
      const closed = client.end({ timeout: closeTimeoutSeconds }).catch(() => {});
      closing.add(closed);
      void closed.then(() => closing.delete(closed));
    },
    async end(options) {
      await Promise.all([current.end(options), ...closing]);
    },
  };
}
