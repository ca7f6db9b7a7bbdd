import { describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import {
  clientAddressResolver,
  clientAddressSettingsFromEnv,
  withResolvedClientAddress,
} from "@/lib/auth/client-address";

const resolverFor = (vars: Record<string, string>) =>
  clientAddressResolver(clientAddressSettingsFromEnv(parseEnv(vars)));

describe("the client address rate limiting keys on", () => {
  it("is the socket's address when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    const resolve = resolverFor({});
    expect(resolve("203.0.113.5", { "x-forwarded-for": "198.51.100.1" })).toBe("203.0.113.5");
    expect(resolve("::ffff:203.0.113.5", {})).toBe("203.0.113.5");
  });

  it("comes from X-Forwarded-For only through a trusted proxy, read from the right", () => {
    const resolve = resolverFor({ BETTER_AUTH_TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.1" });
    const chain = { "x-forwarded-for": "1.1.1.1, 198.51.100.7, 10.1.2.3" };
    // The client sent "1.1.1.1" itself; the proxies appended what they saw.
    expect(resolve("192.0.2.1", chain)).toBe("198.51.100.7");
    expect(resolve("203.0.113.9", chain)).toBe("203.0.113.9");
    expect(resolve("10.0.0.1", { "x-forwarded-for": "10.0.0.2" })).toBe("10.0.0.2");
    expect(resolve("10.0.0.1", { "x-forwarded-for": "not-an-ip, 10.0.0.2" })).toBe("10.0.0.1");
  });

  it("comes from the platform's header when CLIENT_IP_HEADER names one", () => {
    const resolve = resolverFor({ CLIENT_IP_HEADER: "CF-Connecting-IP" });
    expect(resolve("10.0.0.1", { "cf-connecting-ip": "198.51.100.3" })).toBe("198.51.100.3");
    expect(resolve("10.0.0.1", { "cf-connecting-ip": "junk" })).toBe("10.0.0.1");
  });

  it("refuses a trusted proxy entry that is not an address or range, naming it", () => {
    expect(() =>
      clientAddressSettingsFromEnv(parseEnv({ BETTER_AUTH_TRUSTED_PROXIES: "10.0.0.0/33,proxy" })),
    ).toThrow(/BETTER_AUTH_TRUSTED_PROXIES: "10.0.0.0\/33", "proxy"/);
  });
});

describe("a request the hook did not see (before it was installed, or serverless)", () => {
  const claimed = (headers: Record<string, string>) =>
    new Request("http://app.example/api/auth/sign-in/email", { headers });

  it("loses the X-Forwarded-For its client claimed", () => {
    const request = withResolvedClientAddress(
      claimed({ "x-forwarded-for": "198.51.100.1" }),
      clientAddressSettingsFromEnv(parseEnv({})),
    );
    expect(request.headers.get("x-forwarded-for")).toBeNull();
  });

  it("takes the platform's header when CLIENT_IP_HEADER names one", () => {
    const request = withResolvedClientAddress(
      claimed({ "x-forwarded-for": "198.51.100.1", "x-real-ip": "203.0.113.4" }),
      clientAddressSettingsFromEnv(parseEnv({ CLIENT_IP_HEADER: "x-real-ip" })),
    );
    expect(request.headers.get("x-forwarded-for")).toBe("203.0.113.4");
  });
});
