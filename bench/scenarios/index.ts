import type { Scenario } from "../scenario";
import { bootCheck } from "./boot-check";
import { coldBoots } from "./cold-boots";
import { devLoop } from "./dev-loop";
import { fullApply } from "./full-apply";
import { lockHandoff } from "./lock-handoff";
import { scale } from "./scale";
import { serverReadiness } from "./server-readiness";

/** In the order of the table. */
export const scenarios: Scenario[] = [
  bootCheck,
  scale,
  coldBoots,
  lockHandoff,
  serverReadiness,
  fullApply,
  devLoop,
];
