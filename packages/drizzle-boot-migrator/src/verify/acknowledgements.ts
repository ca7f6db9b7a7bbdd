/**
 * Differences a team has decided to live with, each with its reason, kept in a committed JSON
 * file and reviewed like code (as the migration lint's waivers are). An acknowledged difference
 * is still listed, and no longer fails the check. An entry names one difference exactly (its code
 * and object), so a new difference on the same object is not covered by an old decision.
 *
 *   { "acknowledged": [
 *     { "code": "index.extra", "object": "public.users_email_trgm_idx",
 *       "reason": "added by hand for the support search; a migration will adopt it" } ] }
 */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../errors.ts";
import { DIFFERENCE_TITLES, type Difference, type DifferenceCode } from "./compare.ts";

/** The file read when none is named, relative to the working directory. */
export const ACKNOWLEDGEMENTS_FILE = "verify-acknowledgements.json";

export interface Acknowledgement {
  code: DifferenceCode;
  object: string;
  reason: string;
}

/** The file is not a list of acknowledgements: a configuration error (verify exits 2). */
export class AcknowledgementsError extends ConfigError {
  override name = "AcknowledgementsError";
}

/** Parses the file's text; `source` names it in errors, each naming the entry that is wrong. */
export function parseAcknowledgements(text: string, source: string): Acknowledgement[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AcknowledgementsError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const list = (json as { acknowledged?: unknown } | null)?.acknowledged;
  if (!Array.isArray(list)) {
    throw new AcknowledgementsError(
      `${source} must be an object with an "acknowledged" array of ` +
        '{ "code", "object", "reason" } entries.',
    );
  }
  return list.map((entry: unknown, index) => {
    const where = `${source}: acknowledged[${index}]`;
    const { code, object, reason } = (entry ?? {}) as Record<string, unknown>;
    if (typeof code !== "string" || !(code in DIFFERENCE_TITLES)) {
      throw new AcknowledgementsError(
        `${where} has code ${JSON.stringify(code)}, which is not a difference verify reports ` +
          `(one of ${Object.keys(DIFFERENCE_TITLES).join(", ")}).`,
      );
    }
    if (typeof object !== "string" || object.trim() === "") {
      throw new AcknowledgementsError(
        `${where} names no object: give it as verify prints it, e.g. "public.users.email".`,
      );
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new AcknowledgementsError(
        `${where} (${code} ${object}) gives no reason: say why this difference is acceptable.`,
      );
    }
    return { code: code as DifferenceCode, object, reason: reason.trim() };
  });
}

/** The acknowledgements in `file`; none when the file does not exist. */
export function readAcknowledgements(file: string): Acknowledgement[] {
  if (!existsSync(file)) return [];
  return parseAcknowledgements(readFileSync(file, "utf8"), file);
}

export interface AcknowledgedDifference extends Difference {
  /** The reason it is acknowledged; undefined when it is not, and fails the check. */
  acknowledged?: string;
}

/** Each difference with its acknowledgement, and the acknowledgements that matched none. */
export function applyAcknowledgements(
  differences: Difference[],
  acknowledgements: Acknowledgement[],
): { differences: AcknowledgedDifference[]; unused: Acknowledgement[] } {
  const matches = (ack: Acknowledgement, difference: Difference) =>
    ack.code === difference.code && ack.object === difference.object;
  return {
    differences: differences.map((difference) => {
      const found = acknowledgements.find((ack) => matches(ack, difference));
      return found ? { ...difference, acknowledged: found.reason } : difference;
    }),
    unused: acknowledgements.filter(
      (ack) => !differences.some((difference) => matches(ack, difference)),
    ),
  };
}
