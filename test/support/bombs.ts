import { brotliCompressSync, constants, crc32, deflateRawSync } from 'node:zlib';

// Compression bombs, built without compressing gigabytes: a run of zeros deflates to a block
// that only copies the byte before it, so one such block, flushed to a byte boundary, can be
// repeated as often as wished. Each decodes to the same megabyte of zeros.

const MIB = 1 << 20;
const zeros = Buffer.alloc(MIB);
/** 1 MiB of zeros as a non-final deflate block, byte-aligned (ends in an empty stored block). */
const megabyte = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
/** An empty final block: the end of the stream. */
const end = deflateRawSync(Buffer.alloc(0));

function rawBomb(mebibytes: number): Buffer {
  return Buffer.concat([...Array.from({ length: mebibytes }, () => megabyte), end]);
}

/** A valid gzip file of `mebibytes` MiB of zeros (1 GiB ≈ 1 MB), with its CRC and size. */
export function gzipBomb(mebibytes: number): Buffer {
  let crc = 0;
  for (let i = 0; i < mebibytes; i++) crc = crc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((mebibytes * MIB) % 2 ** 32, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), rawBomb(mebibytes), trailer]);
}

/** A valid zlib ("deflate" Content-Encoding) stream of `mebibytes` MiB of zeros, with its Adler-32. */
export function deflateBomb(mebibytes: number): Buffer {
  const adler = Buffer.alloc(4);
  // Adler-32 of n zeros: a stays 1, b adds a once per byte.
  adler.writeUInt32BE((((mebibytes * MIB) % 65521) * 65536 + 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), rawBomb(mebibytes), adler]);
}

/** A brotli stream of `mebibytes` MiB of zeros (brotli itself squeezes a run this long to a few kB). */
export function brotliBomb(mebibytes: number): Buffer {
  return brotliCompressSync(Buffer.alloc(mebibytes * MIB), { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
}

/**
 * A gzip stream that decodes to nothing however long it runs: empty stored blocks, five bytes
 * each. No limit on the decoded size ever trips; only one on what is read does.
 */
export function emptyGzipBlocks(bytes: number): Buffer {
  const block = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), ...Array.from({ length: Math.ceil(bytes / 5) }, () => block)]);
}
