import type { Scenario } from "../scenario";
import { bootCheck } from "./boot-check";
import { coldBoots } from "./cold-boots";
import { devLoop } from "./dev-loop";
import { fullApply } from "./full-apply";
import { indexBuild } from "./index-build";
import { scale } from "./scale";
import { serverReadiness } from "./server-readiness";

/** In the order of issue 5 (then the dev loop of issue 10 and the index build of issue 12), which is
 * also the order of the table. */
export const scenarios: Scenario[] = [
  bootCheck,
  scale,
  coldBoots,
  serverReadiness,
  fullApply,
  devLoop,
  indexBuild,
];
