import { selectDatabaseSource } from "@tools/database-source/select";
import { describe, expect, it } from "vitest";

const never = () => new Promise<boolean>(() => {});

describe("selectDatabaseSource", () => {
  it("uses an explicit URL without probing for a container runtime", async () => {
    let probed = false;
    const kind = await selectDatabaseSource({
      explicitUrl: "postgres://postgres@127.0.0.1:5432/postgres",
      containerRuntimeAvailable: async () => {
        probed = true;
        return true;
      },
    });
    expect(kind).toBe("url");
    expect(probed).toBe(false);
  });

  it("starts a container when no URL is given and a runtime answers", async () => {
    expect(await selectDatabaseSource({ containerRuntimeAvailable: async () => true })).toBe(
      "container",
    );
  });

  it("falls back to the embedded Postgres when no runtime is there", async () => {
    expect(await selectDatabaseSource({ containerRuntimeAvailable: async () => false })).toBe(
      "embedded",
    );
  });

  it("falls back to the embedded Postgres when the probe throws", async () => {
    const kind = await selectDatabaseSource({
      containerRuntimeAvailable: () =>
        Promise.reject(new Error("Could not find a working container runtime strategy")),
    });
    expect(kind).toBe("embedded");
  });

  it("falls back to the embedded Postgres when the probe never answers", async () => {
    const kind = await selectDatabaseSource({
      containerRuntimeAvailable: never,
      probeTimeoutMs: 10,
    });
    expect(kind).toBe("embedded");
  });

  it("never considers a container where none is allowed (npm run dev)", async () => {
    expect(await selectDatabaseSource({})).toBe("embedded");
  });

  it("treats an empty URL as no URL", async () => {
    const kind = await selectDatabaseSource({
      explicitUrl: "",
      containerRuntimeAvailable: async () => true,
    });
    expect(kind).toBe("container");
  });
});
