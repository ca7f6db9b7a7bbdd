/**
 * `drizzle-boot-migrator/verify`: does a database have the schema its applied migrations build
 * (verify), and adopting one that has it without a ledger (baseline). An entry of its own, which
 * the library entry and so a boot never load: verify is a tool for CI and operators.
 */
export {
  ACKNOWLEDGEMENTS_FILE,
  type AcknowledgedDifference,
  type Acknowledgement,
  AcknowledgementsError,
  applyAcknowledgements,
  parseAcknowledgements,
  readAcknowledgements,
} from "./verify/acknowledgements.ts";
export { type BaselineReport, baselineDatabase } from "./verify/baseline.ts";
export {
  type Catalog,
  type CatalogObject,
  type CatalogScope,
  type ObjectKind,
  objectsOf,
  readCatalog,
  readCatalogIn,
} from "./verify/catalog.ts";
export {
  compareCatalogs,
  DIFFERENCE_TITLES,
  type Difference,
  type DifferenceCode,
} from "./verify/compare.ts";
export type { ExpectedSchema, ScratchDatabase, ScratchSource } from "./verify/expected.ts";
export { formatBaselineReport, formatVerifyReport } from "./verify/format.ts";
export { DEFAULT_READ_TIMEOUTS, type ReadTimeouts, readTimeoutsOf } from "./verify/live.ts";
export { scratchOnServer } from "./verify/scratch.ts";
export {
  type SetState,
  VERIFY_EXIT,
  type Verdict,
  type VerifyOptions,
  type VerifyReport,
  verifyDatabase,
} from "./verify/verify.ts";
