import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_NAMES } from "@/env";

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), "utf8");

describe("every variable in src/env.ts is documented", () => {
  it.each(ENV_NAMES)("%s has a row in docs/configuration.md", (name) => {
    expect(read("docs/configuration.md")).toMatch(new RegExp(`^\\| \`${name}\` \\|`, "m"));
  });

  it.each(ENV_NAMES)("%s is in .env.example", (name) => {
    expect(read(".env.example")).toMatch(new RegExp(`^# ${name}=`, "m"));
  });
});
