import {
  containerRuntimeHints,
  isContainerRuntimeAvailable,
  type MachineFacts,
} from "@tools/database-source/container-runtime";
import { describe, expect, it } from "vitest";

const bareLinux = (overrides: Partial<MachineFacts> = {}): MachineFacts => ({
  platform: "linux",
  homeDir: "/home/dev",
  uid: 1000,
  exists: () => false,
  ...overrides,
});

describe("containerRuntimeHints", () => {
  it("finds nothing on a machine without Docker", () => {
    expect(containerRuntimeHints(bareLinux())).toEqual([]);
  });

  it("names DOCKER_HOST when it is set", () => {
    expect(containerRuntimeHints(bareLinux({ dockerHost: "tcp://10.0.0.5:2375" }))).toEqual([
      "DOCKER_HOST=tcp://10.0.0.5:2375",
    ]);
  });

  it.each([
    "/var/run/docker.sock",
    "/home/dev/.docker/run/docker.sock",
    "/home/dev/.docker/desktop/docker.sock",
    "/run/user/1000/docker.sock",
    "/home/dev/.testcontainers.properties",
  ])("finds %s where Testcontainers would look", (file) => {
    expect(containerRuntimeHints(bareLinux({ exists: (candidate) => candidate === file }))).toEqual(
      [file],
    );
  });

  it("always probes on Windows, where the runtime is a named pipe", () => {
    expect(containerRuntimeHints(bareLinux({ platform: "win32" }))).not.toEqual([]);
  });
});

describe("isContainerRuntimeAvailable", () => {
  it("answers no without a hint, without loading Testcontainers", async () => {
    expect(await isContainerRuntimeAvailable(bareLinux())).toBe(false);
  });
});
