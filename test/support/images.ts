import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/**
 * A real JPEG as a phone writes it: EXIF with a camera and a GPS position, and orientation 6
 * (stored sideways, shown turned 90° clockwise), so a width × height file shows as height × width.
 */
export function phoneJpeg(width: number, height: number, colour = { r: 200, g: 60, b: 40 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Make: 'TestCam', Model: 'Lectern 1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '59/1 56/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '30/1 18/1 0/1' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A plain PNG of one colour. */
export function png(width: number, height: number, colour = { r: 40, g: 90, b: 200 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/**
 * A decompression bomb's header: a tiny PNG whose IHDR claims width × height (its CRC
 * recomputed, so the header reads as valid). Decoding it would need width × height pixels.
 */
export async function claimedSizePng(width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.from(await png(8, 8));
  // Signature (8), IHDR length (4) and type (4), then width and height.
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
  return bytes;
}
