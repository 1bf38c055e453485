// mux.js ships no types; these are the parts Lectern uses (the inspector only in tests, as the oracle for segment-sound.ts).
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

declare module 'mux.js/lib/m2ts/probe.js' {
  const probe: {
    /** The PMT's PID, from a PAT packet. */
    parsePat(packet: Uint8Array): number;
    /** Elementary PID → stream type, from a PMT packet; undefined for a table not yet in effect. */
    parsePmt(packet: Uint8Array): Record<number, number> | undefined;
    /** The timestamps of a packet that starts a PES; null where it starts none or has none. */
    parsePesTime(packet: Uint8Array): { pts: number; dts: number } | null | undefined;
  };
  export default probe;
}

declare module 'mux.js/lib/m2ts/stream-types.js' {
  const streamTypes: { H264_STREAM_TYPE: number; ADTS_STREAM_TYPE: number; METADATA_STREAM_TYPE: number };
  export default streamTypes;
}
