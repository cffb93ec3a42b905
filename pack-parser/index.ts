export { PackParserError, isPackParserError, type PackParserErrorCode } from './errors.js';
export { DEFAULT_PACK_LIMITS, resolvePackLimits, type PackLimits } from './limits.js';
export { applyDelta, readDeltaSizes } from './delta.js';
export { objectId, hashLengthOf, isObjectIdHex, type HashAlgorithm } from './object-id.js';
export { PackObjectTable, type ObjectType } from './pack-object-table.js';
export { PackScanner, type PackEntry, type PackHeader, type PackTrailer } from './pack-scanner.js';
export { SpillingPackSpool, PackFileSpool, type PackSpool, type SpillingPackSpoolOptions } from './pack-spool.js';
export {
  PackDecoder,
  decodePack,
  type DecodedObject,
  type ExternalBase,
  type PackDecoderOptions,
  type PackSummary,
} from './pack-decoder.js';
export { writeIdxV2, entriesSortedById } from './idx-writer.js';
