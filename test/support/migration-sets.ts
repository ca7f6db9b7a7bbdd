import { FIXTURE_T0, type FixtureMigration } from "./migrator";

/**
 * Two migration sets for one database, an upstream folder and then a fork's, as the tests of
 * several sets (on drizzle 0.45 and 1.0) apply them. The fork's migration needs upstream's
 * tables, so applying the sets in the other order fails; it is dated between upstream's two, so
 * only the sets' order, not the time, puts it last.
 */
export const upstreamMigrations: FixtureMigration[] = [
  { tag: "0000_upstream", when: FIXTURE_T0, statements: ["create table upstream_0 (id int)"] },
  {
    tag: "0001_upstream",
    when: FIXTURE_T0 + 1000,
    // Keeps the first boot in the set's transaction while the others arrive.
    statements: ["create table upstream_1 (id int)", "select pg_sleep(1)"],
  },
];

export const forkMigrations: FixtureMigration[] = [
  {
    tag: "0000_fork",
    when: FIXTURE_T0 + 500,
    statements: ["alter table upstream_1 add column forked boolean"],
  },
];
