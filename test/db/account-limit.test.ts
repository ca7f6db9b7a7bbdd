import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  ACCOUNT_WINDOW_MINUTES,
  accountKey,
  countAttempt,
  discountAttempt,
} from "@/lib/auth/account-limit";
import { signInFailures } from "@/lib/db/schema";
import { migratedDatabaseForFile } from "../support/migrated-database";
import { uniqueEmail } from "../support/tenancy";

// Enough connections that the concurrent attempts below really reach Postgres at once.
const database = migratedDatabaseForFile({ max: 10 });

describe("countAttempt", () => {
  it("gives each of 30 concurrent attempts on one account its own count", async () => {
    const key = accountKey(uniqueEmail("victim"));
    const counts = await Promise.all(
      Array.from({ length: 30 }, () => countAttempt(database.db, key)),
    );
    expect(counts.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("starts over once the window has passed", async () => {
    const key = accountKey(uniqueEmail("victim"));
    await countAttempt(database.db, key);
    await countAttempt(database.db, key);
    await database.db
      .update(signInFailures)
      .set({
        windowStartedAt: sql`now() - make_interval(mins => ${ACCOUNT_WINDOW_MINUTES + 1})`,
      })
      .where(eq(signInFailures.accountKey, key));
    expect(await countAttempt(database.db, key)).toBe(1);
  });
});

describe("discountAttempt", () => {
  it("takes one attempt back, never below zero", async () => {
    const key = accountKey(uniqueEmail("owner"));
    await countAttempt(database.db, key);
    await countAttempt(database.db, key);
    await discountAttempt(database.db, key);
    expect(await countAttempt(database.db, key)).toBe(2);
    await discountAttempt(database.db, key);
    await discountAttempt(database.db, key);
    await discountAttempt(database.db, key);
    expect(await countAttempt(database.db, key)).toBe(1);
  });
});
