import { createHash, randomBytes } from "node:crypto";

/** 256 random bits; the issue asks for at least 128. */
const INVITE_TOKEN_BYTES = 32;
/** base64url of 32 bytes, no padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface InviteToken {
  /** Goes into the link only: never stored (the development sender logs the link). */
  token: string;
  /** What `users.invite_token` stores: SHA-256, lowercase hex. */
  tokenHash: string;
}

export function createInviteToken(): InviteToken {
  const token = randomBytes(INVITE_TOKEN_BYTES).toString("base64url");
  return { token, tokenHash: hashInviteToken(token) };
}

/**
 * A plain SHA-256 is enough (no salt, no slow hash): the token has 256 bits of entropy, so the
 * hash cannot be reversed by guessing, and a fast, deterministic hash is what lets the accept
 * step find the row with one indexed lookup.
 */
export function hashInviteToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether `token` could have come from `createInviteToken` (checked before any lookup). */
export function isInviteTokenShaped(token: unknown): token is string {
  return typeof token === "string" && TOKEN_PATTERN.test(token);
}

export function inviteLink(baseUrl: string, token: string): string {
  return new URL(`/invite/${token}`, baseUrl).toString();
}
