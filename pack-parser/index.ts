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
export { writeIdxV2, idxV2Pieces, entriesSortedById } from './idx-writer.js';
export { idxV2ObjectIds } from './idx-reader.js';
export {
  PktLineReader,
  pktLine,
  writePktLineHeader,
  FLUSH_PKT,
  DELIM_PKT,
  RESPONSE_END_PKT,
  MAX_PKT_LINE_LENGTH,
  MAX_PKT_LINE_DATA,
  type PktLine,
} from './pkt-line.js';
export {
  SidebandDemuxer,
  encodeSideband,
  maxSidebandPacketLength,
  type SidebandChannel,
  type SidebandMode,
  type SidebandPacket,
} from './sideband.js';
export { refNameProblem, isValidRefName, pushedRefNameProblem, type RefNameRules } from './ref-name.js';
export {
  ReceivePackRequestParser,
  type ReceivePackRequest,
  type ReceivePackRequestParserOptions,
} from './receive-pack-request.js';
export { parseReceivePackCommand, type ReceivePackCommand, type RefUpdateOperation } from './receive-pack-command.js';
export { parsePushCertificate, type PushCertificate } from './push-certificate.js';
export { signatureFormatOf, signatureStart, type SignatureFormat } from './signature-format.js';
export * from './objects/index.js';
