// The only module that server/ imports from media/.
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats, type WorkerPorts } from './worker-pool';
export { confineAllocatorPreload, describePreload, mappedAllocator, type ProcessAllocator } from './process-allocator';
export { workerAllocators, type WorkerAllocator } from './worker-allocator';
export { routerMediaCodecs } from './codecs';
export { canTieToParent, ffmpegVersion } from './ffmpeg';
export type { MediaLogger } from './logger';
export { MediaError } from './media-error';
export { Room, type RoomOptions, type ProducerInfo } from './room';
export { RoomRegistry } from './room-registry';
export { Peer, type Source, type Direction, type TransportParameters, type ConsumerParameters } from './peer';
export { version as mediasoupVersion } from 'mediasoup';
export type { Producer } from 'mediasoup/types';
export { Recorder, finalizePlaylist, readPlaylist, type RecorderStatus, type RecordingSource, type RecordingSummary } from './recorder';
export { syntheticSource, type SyntheticSource } from './synthetic-source';
export {
  planCut,
  writeReplayCut,
  pruneCuts,
  replayPlaylistName,
  downloadFileName,
  cutKey,
  type CutRange,
  type PlannedCut,
} from './replay-cut';
export { playlistStartPts } from './start-pts';
export { remuxToMp4, type RemuxOptions } from './remux';
export { probeVideo, packageHls, canCopyToHls, type VideoProbe, type ProbeRefusal, type PackageOptions } from './packager';
