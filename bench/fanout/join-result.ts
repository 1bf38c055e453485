// What one Chromium join measured; shared by the page (browser) and the runner (Node).
export interface JoinResult {
  /** room:join emitted → first video frame decoded (and presented). */
  firstFrameMs: number;
  /** How the first frame was seen: requestVideoFrameCallback, or getStats framesDecoded > 0. */
  firstFrameBy: 'requestVideoFrameCallback' | 'getStats';
  /** Socket.IO connect, before room:join (not in firstFrameMs). */
  socketConnectMs: number;
  /** Milestones, in ms after room:join was emitted. */
  marks: Record<string, number>;
  videoWidth: number;
  videoHeight: number;
  framesDecoded: number;
  handler: string;
  codec: string;
}
