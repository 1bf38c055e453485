// Uploaded videos as the domain sees them: a job per tus upload, from the first byte to a
// packaged recording (or a failure with its reason). No Express, no mongoose, no ffmpeg.

export type UploadState = 'uploading' | 'processing' | 'ready' | 'failed';

export interface UploadJob {
  /** The tus upload id (32 hex digits): also the name of the incoming file. */
  id: string;
  ownerId: string;
  /** The file's name as the lecturer's computer had it: shown in the list, never used as a path. */
  fileName: string;
  sizeBytes: number;
  state: UploadState;
  /** Packaging's share done, 0–1, while processing. */
  progress: number;
  /** Why it failed: a machine-readable code the page shows as text. */
  errorCode: string | null;
  /** Chosen when the upload is created, so a packaging retried after a crash finds its own work. */
  recordingId: string;
  /** Packaging attempts begun; past the limit a crash-looping file is failed. */
  attempts: number;
  /** The node packaging it, while it does. */
  nodeId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewUploadJob = Pick<UploadJob, 'id' | 'ownerId' | 'fileName' | 'sizeBytes' | 'recordingId'>;

export interface UploadRepository {
  create(job: NewUploadJob): Promise<UploadJob>;
  get(id: string): Promise<UploadJob | null>;
  /** The newest first. */
  listByOwner(ownerId: string, limit: number): Promise<UploadJob[]>;
  countUnfinished(ownerId: string): Promise<number>;
  update(
    id: string,
    changes: Partial<Pick<UploadJob, 'state' | 'progress' | 'errorCode' | 'attempts' | 'nodeId'>>,
  ): Promise<UploadJob | null>;
  /** Moves it from one state to another only if it is still in the first: false when it was not. */
  transition(
    id: string,
    from: UploadState,
    changes: Partial<Pick<UploadJob, 'state' | 'progress' | 'errorCode' | 'nodeId'>>,
  ): Promise<boolean>;
  /** The jobs that made these recordings (a job the lecturer removed from the list is gone). */
  listByRecordingIds(recordingIds: string[]): Promise<UploadJob[]>;
  listInState(state: UploadState): Promise<UploadJob[]>;
  remove(id: string): Promise<void>;
}

/**
 * The title an uploaded video goes by where nobody named it: the name given in the library,
 * else its file name without the extension, else the day it was uploaded.
 */
export function uploadTitle(title: string | null, fileName: string | undefined, uploadedAt: Date): string {
  if (title) return title;
  const base = fileName?.replace(/\.[^.]+$/, '').trim();
  return base || `Видео от ${uploadedAt.toISOString().slice(0, 10)}`;
}
