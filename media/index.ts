// The only module that server/ imports from media/.
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolStats } from './worker-pool';
export { routerMediaCodecs } from './codecs';
export { ffmpegVersion } from './ffmpeg';
export type { MediaLogger } from './logger';
export { Room, type RoomOptions } from './room';
export { RoomRegistry } from './room-registry';
export { Peer, MediaError, type Source } from './peer';
export { version as mediasoupVersion } from 'mediasoup';
export type { Producer } from 'mediasoup/types';
export { Recorder, finalizePlaylist, readPlaylist, type RecorderStatus, type RecordingSource, type RecordingSummary } from './recorder';
