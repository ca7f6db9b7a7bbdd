import { describe, expect, it } from "vitest";
import { type Actor, can, type Permission } from "@/lib/tenancy/access";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";

const actor = (agencyAdmin: boolean, roles: [string, "tenant_admin" | "member"][] = []): Actor => ({
  userId: "00000000-0000-4000-8000-000000000001",
  name: "Someone",
  email: "someone@example.com",
  agencyAdmin,
  tenantRoles: new Map(roles),
});

describe("can", () => {
  const cases: [string, Actor, Permission, string | undefined, boolean][] = [
    ["agency admin views any tenant", actor(true), "tenant:view", B, true],
    ["agency admin manages any tenant", actor(true), "tenant:manage", B, true],
    ["agency admin manages the agency", actor(true), "agency:manage", undefined, true],
    ["member views own tenant", actor(false, [[A, "member"]]), "tenant:view", A, true],
    ["member cannot manage own tenant", actor(false, [[A, "member"]]), "tenant:manage", A, false],
    ["member cannot view another tenant", actor(false, [[A, "member"]]), "tenant:view", B, false],
    [
      "tenant admin manages own tenant",
      actor(false, [[A, "tenant_admin"]]),
      "tenant:manage",
      A,
      true,
    ],
    [
      "tenant admin cannot view another",
      actor(false, [[A, "tenant_admin"]]),
      "tenant:view",
      B,
      false,
    ],
    [
      "tenant admin cannot manage another",
      actor(false, [[A, "tenant_admin"]]),
      "tenant:manage",
      B,
      false,
    ],
    [
      "tenant admin cannot manage the agency",
      actor(false, [[A, "tenant_admin"]]),
      "agency:manage",
      A,
      false,
    ],
    [
      "nobody views without a tenant id",
      actor(false, [[A, "member"]]),
      "tenant:view",
      undefined,
      false,
    ],
  ];
  it.each(cases)("%s", (_label, who, permission, tenantId, expected) => {
    expect(can(who, permission, tenantId)).toBe(expected);
  });
});
