import { inspectProcess, parsePostmasterPid } from "@tools/database-source/stale-postmaster";
import { describe, expect, it } from "vitest";

describe("parsePostmasterPid", () => {
  it("reads the PID and data directory Postgres writes on its first two lines", () => {
    const content = [
      "18848",
      "/tmp/agency-reporting-pg-IppLlV",
      "1764034178",
      "34371",
      "",
      "127.0.0.1",
      "  7654321    32768",
      "ready   ",
      "",
    ].join("\n");
    expect(parsePostmasterPid(content)).toEqual({
      pid: 18848,
      dataDir: "/tmp/agency-reporting-pg-IppLlV",
    });
  });

  it.each(["", "\n", "not-a-pid\n/data", "-1\n/data"])("ignores a damaged file (%j)", (content) => {
    expect(parsePostmasterPid(content)).toBeUndefined();
  });
});

describe("inspectProcess", () => {
  it("describes a running process with its parent", async () => {
    const self = await inspectProcess(process.pid);
    expect(self?.parentPid).toBe(process.ppid);
    expect(self?.args).toMatch(/node/);
  });

  it("reports a process that does not exist as gone", async () => {
    expect(await inspectProcess(2 ** 22 + 1)).toBeUndefined();
  });
});
