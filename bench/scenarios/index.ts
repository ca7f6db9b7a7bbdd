import type { Scenario } from "../scenario";
import { bootCheck } from "./boot-check";
import { coldBoots } from "./cold-boots";
import { fullApply } from "./full-apply";
import { indexBuild } from "./index-build";
import { scale } from "./scale";
import { serverReadiness } from "./server-readiness";

/** In the order of issue 5 (then issue 12's index build), which is also the order of the table. */
export const scenarios: Scenario[] = [
  bootCheck,
  scale,
  coldBoots,
  serverReadiness,
  fullApply,
  indexBuild,
];
