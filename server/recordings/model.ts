// Recordings as the domain sees them: no Express, no mongoose, no ffmpeg.

export type RecordingStatus = 'recording' | 'ready' | 'failed';

export interface Recording {
  id: string;
  seminarId: string;
  status: RecordingStatus;
  /** Relative to the recordings directory: <seminarId>/<recordingId>. */
  dir: string;
  startedAt: Date;
  endedAt: Date | null;
  durationSeconds: number | null;
  segments: number;
  discontinuities: number;
  videoCodec: string | null;
  hasPoster: boolean;
  /** Screen shares, each its own playlist under dir, with its start on the main timeline. */
  screens: Array<{ name: string; offsetMs: number }>;
  /** The course lesson it became, or null while it waits for staff as a draft. */
  lessonId: string | null;
  /** The node whose recorder writes it, while it is being written (null: written before nodes were tracked). */
  nodeId: string | null;
}

export interface RecordingRepository {
  create(r: Pick<Recording, 'seminarId' | 'dir' | 'startedAt' | 'videoCodec' | 'nodeId'> & { id: string }): Promise<Recording>;
  get(id: string): Promise<Recording | null>;
  current(seminarId: string): Promise<Recording | null>;
  latestReady(seminarId: string): Promise<Recording | null>;
  update(id: string, changes: Partial<Omit<Recording, 'id' | 'seminarId' | 'dir'>>): Promise<Recording | null>;
  addScreen(id: string, screen: { name: string; offsetMs: number }): Promise<void>;
  listUnfinished(): Promise<Recording[]>;
  listUnattached(limit: number): Promise<Recording[]>;
}
