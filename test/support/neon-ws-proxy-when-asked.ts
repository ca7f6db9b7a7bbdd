import setupNeonWsProxy from "./neon-ws-proxy-setup";

/**
 * Vitest globalSetup of `drizzle-1-suite`: the Neon proxy of `drivers-neon`, started only when the
 * run asks for Neon's driver from the shell (`MIGRATOR_TEST_DRIVER=neon`, docs/testing.md), so the
 * suite on drizzle-orm 1.0 can run on every driver without a project per pair.
 */
export default async function setup() {
  if (process.env.MIGRATOR_TEST_DRIVER !== "neon") return;
  return setupNeonWsProxy();
}
