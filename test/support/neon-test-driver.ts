import type { DriverSession, MigratorDriver } from "drizzle-boot-migrator";
import { neonDriver } from "drizzle-boot-migrator";

/**
 * `MIGRATOR_TEST_DRIVER=neon`: the migrator's session through `neonDriver(pool)` over the
 * WebSocket proxy of this run (neon-ws-proxy-setup.ts).
 */
export function neonTestDriver(): MigratorDriver {
  const port = Number(process.env.MIGRATOR_TEST_NEON_PROXY_PORT);
  if (!port) {
    throw new Error(
      "MIGRATOR_TEST_DRIVER=neon needs the WebSocket proxy of test/support/neon-ws-proxy-setup.ts " +
        "(the vitest project drivers-neon starts it): MIGRATOR_TEST_NEON_PROXY_PORT is not set",
    );
  }
  return neonDriverViaProxy(port);
}

/**
 * `neonDriver(pool)`, as a project on Neon's serverless driver gives it, through the local proxy
 * on `proxyPort` (neon-ws-proxy.ts): a Pool of one connection per session, on the URL the migrator
 * was given (a plain Postgres one), ended with the session. Neon's driver and `ws` load only here.
 */
export function neonDriverViaProxy(proxyPort: number): MigratorDriver {
  return {
    name: "neon-serverless",
    reconnects: true,
    async connect(target): Promise<DriverSession> {
      const [{ Pool }, { pointNeonAtProxy }] = await Promise.all([
        import("@neondatabase/serverless"),
        import("./neon-ws-proxy"),
      ]);
      pointNeonAtProxy(proxyPort);
      const pool = new Pool({
        connectionString: target.url,
        max: 1,
        application_name: target.applicationName,
        connectionTimeoutMillis: target.connectTimeoutSeconds * 1000,
      });
      // An idle connection's error (a terminated backend) is the session's to report, not a crash.
      pool.on("error", () => {});
      const end = () => pool.end().catch(() => {});
      const session = await neonDriver(pool)
        .connect(target)
        .catch(async (error: unknown) => {
          await end();
          throw error;
        });
      return {
        ...session,
        abort: () => session.abort().finally(end),
        close: () => session.close().finally(end),
      };
    },
  };
}
