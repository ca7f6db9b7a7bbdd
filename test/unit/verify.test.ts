import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { binaryPackageName } from "@tools/database-source/embedded-binaries";
import {
  POSTGRES_VERSIONS_CACHE,
  REFUSED_POSTGRES,
  SUPPORTED_POSTGRES,
} from "@tools/database-source/postgres-versions";
import { availableEmbeddedMajors, nearestMajor } from "@tools/database-source/scratch";
import { takeOptions } from "@tools/verify/run";
import {
  AcknowledgementsError,
  type Catalog,
  compareCatalogs,
  parseAcknowledgements,
} from "drizzle-boot-migrator/verify";
import { describe, expect, it } from "vitest";

describe("the scratch server's major", () => {
  const majors = (...list: number[]) => list.map((major) => ({ major }));

  it("is the live server's when available, else the nearest, the newer on a tie", () => {
    expect(nearestMajor(16, majors(15, 16, 18))).toEqual({ major: 16 });
    expect(nearestMajor(15, majors(18, 14, 17))).toEqual({ major: 14 });
    expect(nearestMajor(16, majors(15, 17))).toEqual({ major: 17 });
  });

  it("is never a major the app refuses, even when its binaries are cached (the version tests cache 14)", async () => {
    const projectRoot = await mkdtemp(path.join(os.tmpdir(), "scratch-majors-"));
    try {
      for (const version of [REFUSED_POSTGRES[14], SUPPORTED_POSTGRES[16]]) {
        const bin = path.join(
          projectRoot,
          POSTGRES_VERSIONS_CACHE,
          version,
          "node_modules",
          binaryPackageName(),
          "native",
          "bin",
        );
        await mkdir(bin, { recursive: true });
        await writeFile(path.join(bin, "postgres"), "");
      }

      const offered = (await availableEmbeddedMajors(projectRoot)).map((found) => found.major);

      expect(offered).toContain(16);
      expect(offered).not.toContain(14);
    } finally {
      await rm(projectRoot, { recursive: true, force: true });
    }
  });
});

describe("the acknowledgements file", () => {
  it("reads entries with a code, an object and a reason", () => {
    expect(
      parseAcknowledgements(
        '{"acknowledged":[{"code":"index.extra","object":"public.x_idx","reason":" INC-42 "}]}',
        "acks.json",
      ),
    ).toEqual([{ code: "index.extra", object: "public.x_idx", reason: "INC-42" }]);
  });

  it.each([
    ["not JSON", "{", /acks\.json is not valid JSON/],
    ["no list", "{}", /must be an object with an "acknowledged" array/],
    [
      "an unknown code",
      '{"acknowledged":[{"code":"index.gone","object":"x","reason":"r"}]}',
      /acknowledged\[0\] has code "index\.gone", which is not a difference verify reports/,
    ],
    [
      "no object",
      '{"acknowledged":[{"code":"index.extra","reason":"r"}]}',
      /acknowledged\[0\] names no object/,
    ],
    [
      "no reason",
      '{"acknowledged":[{"code":"index.extra","object":"public.x_idx"}]}',
      /acknowledged\[0\] \(index\.extra public\.x_idx\) gives no reason/,
    ],
  ])("refuses %s, naming what is wrong", (_, text, message) => {
    expect(() => parseAcknowledgements(text, "acks.json")).toThrow(AcknowledgementsError);
    expect(() => parseAcknowledgements(text, "acks.json")).toThrow(message);
  });
});

describe("the comparison", () => {
  const table = (name: string): Catalog["objects"][number] => ({
    kind: "table",
    schema: "public",
    name,
    partitioned: false,
    rowSecurity: false,
    forceRowSecurity: false,
  });
  const column = (table: string, name: string): Catalog["objects"][number] => ({
    kind: "column",
    schema: "public",
    table,
    name,
    type: "text",
    notNull: false,
    default: null,
    identity: null,
    generated: null,
  });

  it("reports a missing table once, not each of its columns", () => {
    const expected = { schemas: ["public"], objects: [table("a"), column("a", "x"), table("b")] };
    const actual = { schemas: ["public"], objects: [table("b")] };

    expect(compareCatalogs(expected, actual).map((d) => `${d.code} ${d.object}`)).toEqual([
      "table.missing public.a",
    ]);
  });

  it("finds nothing between a catalog and itself", () => {
    const catalog = { schemas: ["public"], objects: [table("a"), column("a", "x")] };
    expect(compareCatalogs(catalog, structuredClone(catalog))).toEqual([]);
  });
});

describe("db:verify's own options", () => {
  it("are taken out of the arguments, the migrator's left in order", () => {
    expect(
      takeOptions(
        ["--json", "--scratch-url", "postgres://x/y", "--migrations-folder", "f", "--schema=a"],
        ["scratch-url", "schema"],
        "usage",
      ),
    ).toEqual({
      values: { "scratch-url": ["postgres://x/y"], schema: ["a"] },
      rest: ["--json", "--migrations-folder", "f"],
    });
    expect(() => takeOptions(["--schema"], ["schema"], "usage")).toThrow(/--schema needs a value/);
  });
});
