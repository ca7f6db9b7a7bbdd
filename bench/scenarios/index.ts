import type { Scenario } from "../scenario";
import { bootCheck } from "./boot-check";
import { coldBoots } from "./cold-boots";
import { coldStart } from "./cold-start";
import { devLoop } from "./dev-loop";
import { drivers } from "./drivers";
import { drizzleVersions } from "./drizzle-versions";
import { fullApply } from "./full-apply";
import { indexBuild } from "./index-build";
import { lockHandoff } from "./lock-handoff";
import { poolPipelining } from "./pool-pipelining";
import { scale } from "./scale";
import { serverReadiness } from "./server-readiness";
import { vercelColdStart } from "./vercel-cold-start";
import { verify } from "./verify";

/** In the order of the table. */
export const scenarios: Scenario[] = [
  bootCheck,
  scale,
  coldBoots,
  lockHandoff,
  drivers,
  serverReadiness,
  vercelColdStart,
  fullApply,
  drizzleVersions,
  devLoop,
  coldStart,
  indexBuild,
  poolPipelining,
  verify,
];
