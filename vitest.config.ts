import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitest/config";

const packageDir = new URL("./packages/drizzle-boot-migrator/", import.meta.url);
const packageJson = JSON.parse(readFileSync(new URL("package.json", packageDir), "utf8")) as {
  name: string;
  exports: Record<string, string | { default: string }>;
};

// As tsconfig.json's `paths`: each entry point of the package's `exports` (its one list) resolves
// to its TypeScript source, ./dist/x.js to src/x.ts, so tests see an edit to the package without a
// rebuild (its dist/ is what `npm pack` ships). test/unit/package-entry-points.test.ts checks
// that tsconfig.json, biome.json and the README name the same entry points.
const packageAliases = Object.entries(packageJson.exports).flatMap(([subpath, target]) =>
  typeof target === "string"
    ? []
    : [
        {
          find: new RegExp(`^${packageJson.name}${subpath.slice(1).replace("/", "\\/")}$`),
          replacement: fileURLToPath(
            new URL(target.default.replace(/^\.\/dist\/(.*)\.js$/, "src/$1.ts"), packageDir),
          ),
        },
      ],
);

const alias = [
  ...packageAliases,
  { find: /^@\//, replacement: `${fileURLToPath(new URL("./src", import.meta.url))}/` },
  { find: /^@tools\//, replacement: `${fileURLToPath(new URL("./tools", import.meta.url))}/` },
];

const packageSource = fileURLToPath(new URL("./packages/drizzle-boot-migrator/", import.meta.url));
const drizzle1Manifest = fileURLToPath(new URL("./.data/drizzle-1/package.json", import.meta.url));

/**
 * The migrator package's imports of drizzle-orm resolve to the 1.0 pair in .data/drizzle-1
 * (`npm run test:drizzle-1` installs it); the app's own modules keep its 0.45 pair, since its
 * schema is written for 0.45. As test/support/drizzle-1/register-package.mjs does for the
 * processes the tests start.
 */
function packageOnDrizzle1(): Plugin {
  return {
    name: "package-on-drizzle-1",
    enforce: "pre",
    resolveId(source, importer, options) {
      if (!/^drizzle-(orm|kit)(\/|$)/.test(source) || !importer?.startsWith(packageSource)) {
        return null;
      }
      return this.resolve(source, drizzle1Manifest, { ...options, skipSelf: true });
    },
  };
}

/**
 * A project of the folder `test/<name>/` on this run's Postgres (test/support/global-setup.ts).
 * `serial` runs its files one at a time, after the other projects.
 */
function databaseProject(
  name: string,
  options: {
    setup?: string[];
    testTimeout: number;
    hookTimeout: number;
    serial?: boolean;
    /** Instead of every file of `test/<name>/`. */
    include?: string[];
    env?: Record<string, string>;
    plugins?: Plugin[];
  },
) {
  return {
    resolve: { alias },
    ...(options.plugins ? { plugins: options.plugins } : {}),
    test: {
      name,
      include: options.include ?? [`test/${name}/**/*.test.ts`],
      environment: "node",
      ...(options.env ? { env: options.env } : {}),
      globalSetup: ["test/support/global-setup.ts", ...(options.setup ?? [])],
      testTimeout: options.testTimeout,
      hookTimeout: options.hookTimeout,
      ...(options.serial ? { maxWorkers: 1 } : {}),
    },
  };
}

const servers = { testTimeout: 120_000, hookTimeout: 300_000, serial: true };

/**
 * The migrator's database suite (lock and hand-off, failure and rollback, `-- no-transaction`,
 * timeouts and a frozen session, validation, wrong targets, real-world folders, PgBouncer), which
 * the project `drivers` runs again with the migrator's session on node-postgres (test/support/
 * migrator-driver.ts), and `drizzle-1-suite` with the package on drizzle-orm 1.0.
 */
const MIGRATOR_SUITE = [
  "test/db/migrator-locking.test.ts",
  "test/db/migrator-concurrency.test.ts",
  "test/db/migrator-run.test.ts",
  "test/db/migrator-validation.test.ts",
  "test/db/migrator-no-transaction.test.ts",
  "test/db/migrator-no-transaction-pause.test.ts",
  "test/db/migrator-connect.test.ts",
  "test/db/migrator-wrong-target.test.ts",
  "test/db/migrator-real-world.test.ts",
  "test/production/migrator-through-pgbouncer.test.ts",
];

export default defineConfig({
  resolve: { alias },
  test: {
    // Two files at a time, though vitest's default on 2 cores is one: most files wait for Postgres
    // and for the processes they start, and each has a database of its own. The attack files join
    // them: each mostly waits for its server's start and HTTP answers, and run one at a time after
    // the others they kept under one core busy for two minutes. The projects of
    // test:deployment, whose files build, install and start several servers each, run one file at
    // a time, after the others.
    maxWorkers: 2,
    reporters: ["default", "./test/support/skip-summary.ts", "./test/support/timings-reporter.ts"],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // Some unit tests start a tsx script (the CLIs' own output): seconds each while another
          // suite builds on the same two cores, past vitest's default 5 s.
          testTimeout: 30_000,
        },
      },
      databaseProject("db", { testTimeout: 60_000, hookTimeout: 120_000 }),
      // `npm run test:drivers`: the migrator's suite on node-postgres (docs/testing.md).
      databaseProject("drivers", {
        testTimeout: 60_000,
        hookTimeout: 120_000,
        include: MIGRATOR_SUITE,
        env: { MIGRATOR_TEST_DRIVER: "pg" },
      }),
      // `npm run test:drivers-neon`: the same suite on Neon's serverless driver, through one local
      // WebSocket-to-TCP proxy for the run (test/support/neon-ws-proxy-setup.ts).
      databaseProject("drivers-neon", {
        setup: ["test/support/neon-ws-proxy-setup.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
        include: MIGRATOR_SUITE,
        env: { MIGRATOR_TEST_DRIVER: "neon" },
      }),
      // The attack suite (docs/security.md): a production build, real HTTP, real Postgres.
      databaseProject("attacks", {
        setup: ["test/support/attack-build.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
      }),
      // `npm run test:deployment` (docs/testing.md) from here on: left out of `npm test`, run by CI.
      // The production build and topologies: `npm start` after an --omit=dev install, Debian's
      // PgBouncer and pgpool-II in front of this run's Postgres (docs/deployment.md).
      databaseProject("production", servers),
      // What is deployed beside the server: the previous release on the new migrations, the
      // Playwright smoke against a deployed standalone server, the bench.
      databaseProject("deployment", servers),
      // Vercel's own build (`vercel build`, one for the whole project) and its Build Output served
      // by tools/vercel-runtime (docs/deployment.md, "Vercel").
      databaseProject("vercel", { ...servers, setup: ["test/support/vercel-build.ts"] }),
      // `npm run test:drizzle-1`: the migrator on drizzle-orm 1.0, whose processes resolve drizzle
      // to the pair in .data/drizzle-1 (test/support/drizzle-1/).
      databaseProject("drizzle-1", { testTimeout: 120_000, hookTimeout: 120_000 }),
      // Also in `npm run test:drizzle-1`: the migrator's whole suite again with the package on
      // drizzle-orm 1.0 (MIGRATOR_TEST_DRIZZLE=1, test/support/drizzle-version.ts): fixtures,
      // names and expectations follow the version. A test of a rule of 0.x's journal or watermark
      // (in migrator-validation, and the real-world folders whose point is the journal) is a named
      // skip there, beside the test of 1.0's own rule where it has one, which 0.45 skips alike.
      // With them, the spans of a traced boot (boot-tracing), which the driver projects leave out:
      // the boot's session is the app's postgres.js pool whatever the migrator's driver.
      databaseProject("drizzle-1-suite", {
        setup: ["test/support/neon-ws-proxy-when-asked.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
        include: [...MIGRATOR_SUITE, "test/db/boot-tracing.test.ts"],
        env: { MIGRATOR_TEST_DRIZZLE: "1" },
        plugins: [packageOnDrizzle1()],
      }),
    ],
  },
});
