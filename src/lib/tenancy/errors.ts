/**
 * Why a tenancy or invitation request was refused, with a code for tests and callers and a
 * sentence the pages show as is. Anything else thrown by these modules is a bug or an outage.
 */
export type TenancyErrorCode =
  | "INVALID_INPUT"
  | "INVALID_EMAIL"
  | "INVALID_NAME"
  | "INVALID_ROLE"
  | "INVALID_SLUG"
  | "INVALID_PASSWORD"
  | "SLUG_TAKEN"
  | "TENANT_NOT_FOUND"
  | "USER_NOT_FOUND"
  | "FORBIDDEN"
  | "ALREADY_MEMBER"
  | "ALREADY_AGENCY_ADMIN"
  | "USER_SUSPENDED"
  | "CANNOT_SUSPEND_SELF"
  | "INVITE_NOT_FOUND"
  | "INVITE_EXPIRED"
  | "OFFER_NOT_FOUND";

export class TenancyError extends Error {
  override name = "TenancyError";

  constructor(
    readonly code: TenancyErrorCode,
    message: string,
    /** The form field the problem is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}
