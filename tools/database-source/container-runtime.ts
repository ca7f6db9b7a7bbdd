import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readEnv } from "@/env";

export interface MachineFacts {
  platform: NodeJS.Platform;
  homeDir: string;
  uid: number;
  dockerHost?: string | undefined;
  exists: (file: string) => boolean;
}

/**
 * What on this machine could point Testcontainers 11 at a container runtime, mirroring its
 * strategies (node_modules/testcontainers/build/container-runtime/strategies): DOCKER_HOST or
 * ~/.testcontainers.properties, the root socket, the rootless sockets, and the Windows pipe.
 * XDG_RUNTIME_DIR is checked as its usual value, /run/user/<uid>. An empty list means no
 * runtime, decided in microseconds without loading Testcontainers (which takes ~0.5 s).
 */
export function containerRuntimeHints(machine: MachineFacts): string[] {
  if (machine.platform === "win32") return ["the Docker named pipe"];
  const hints = machine.dockerHost ? [`DOCKER_HOST=${machine.dockerHost}`] : [];
  const candidates = [
    path.join(machine.homeDir, ".testcontainers.properties"),
    "/var/run/docker.sock",
    path.join(machine.homeDir, ".docker", "run", "docker.sock"),
    path.join(machine.homeDir, ".docker", "desktop", "docker.sock"),
    path.join("/run", "user", String(machine.uid), "docker.sock"),
  ];
  return [...hints, ...candidates.filter((file) => machine.exists(file))];
}

function currentMachine(): MachineFacts {
  return {
    platform: process.platform,
    homeDir: os.homedir(),
    uid: os.userInfo().uid,
    dockerHost: readEnv().DOCKER_HOST,
    exists: existsSync,
  };
}

/**
 * True when a container runtime answers. Without any hint it answers at once; with one it asks
 * Testcontainers, which rejects when no strategy works (callers bound the wait, see select.ts).
 */
export async function isContainerRuntimeAvailable(
  machine: MachineFacts = currentMachine(),
): Promise<boolean> {
  if (containerRuntimeHints(machine).length === 0) return false;
  const { getContainerRuntimeClient } = await import("testcontainers");
  await getContainerRuntimeClient();
  return true;
}
