export {
  type AcknowledgedDifference,
  type Acknowledgement,
  AcknowledgementsError,
  applyAcknowledgements,
  parseAcknowledgements,
} from "./acknowledgements";
export { type BaselineReport, baselineDatabase } from "./baseline";
export {
  type Catalog,
  type CatalogObject,
  type CatalogScope,
  type ObjectKind,
  objectsOf,
  readCatalog,
  readCatalogIn,
} from "./catalog";
export {
  compareCatalogs,
  DIFFERENCE_TITLES,
  type Difference,
  type DifferenceCode,
} from "./compare";
export type { ExpectedSchema, ScratchDatabase, ScratchSource } from "./expected";
export { formatBaselineReport, formatVerifyReport } from "./format";
export { DEFAULT_READ_TIMEOUTS, type ReadTimeouts } from "./live";
export { type SetState, type Verdict, type VerifyReport, verifyDatabase } from "./verify";
