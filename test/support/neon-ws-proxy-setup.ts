import { startNeonWsProxy } from "./neon-ws-proxy";

/**
 * Vitest globalSetup of the project `drivers-neon`: one WebSocket-to-TCP proxy for the run, its
 * port in `MIGRATOR_TEST_NEON_PROXY_PORT`. Set on this process's environment, which vitest copies
 * into each test worker after the global setups ran, and the workers into the scripts they start
 * (db:migrate, the boot), so every process of the run reaches Postgres through the one proxy.
 */
export default async function setup() {
  const proxy = await startNeonWsProxy();
  process.env.MIGRATOR_TEST_NEON_PROXY_PORT = String(proxy.port);
  return async () => {
    const piped = proxy.connections();
    await proxy.close();
    console.log(`[drivers-neon] ${piped} WebSocket sessions went through the proxy`);
    // A run that never reached the proxy tested postgres.js again, not Neon's driver.
    if (piped === 0) throw new Error("drivers-neon: no migrator session went through the proxy");
  };
}
