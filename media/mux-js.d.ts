// mux.js ships no types; this is the one function Lectern uses (lib/tools/ts-inspector.js).
declare module 'mux.js/lib/tools/ts-inspector.js' {
  interface TimedPacket {
    type: 'video' | 'audio';
    pts: number;
    dts: number;
    ptsTime: number;
    dtsTime: number;
  }
  /** The first and last PES packets of each kind of stream in an MPEG-TS; a kind with none is absent. */
  export function inspect(
    bytes: Uint8Array,
    baseTimestamp?: number,
  ): { video?: TimedPacket[]; audio?: TimedPacket[]; firstKeyFrame?: TimedPacket } | undefined;
}
