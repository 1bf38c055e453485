// Recordings as the domain sees them: no Express, no mongoose, no ffmpeg.

export type RecordingStatus = 'recording' | 'ready' | 'failed';

/** Where it came from: a live seminar's recorder, or a video a lecturer uploaded (ready once packaged). */
export type RecordingOrigin = 'seminar' | 'upload';

export interface Recording {
  id: string;
  origin: RecordingOrigin;
  /** The seminar it records; null for an upload. */
  seminarId: string | null;
  /** Who uploaded it (an upload's owner); null for a seminar's recording. */
  uploaderId: string | null;
  status: RecordingStatus;
  /** Relative to the recordings directory: <seminarId>/<recordingId>, or uploads/<recordingId>. */
  dir: string;
  startedAt: Date;
  /**
   * The wall-clock moment that time 0 of the recording stands for: its recorder places every
   * frame by arrival against it, and fills what came before the first picture with black, so
   * it is the live start however late the recorder began. Chat, questions, markers, polls and
   * slides (offsets from the live start) are placed on the replay by it (replay-clock.ts).
   * Null for an upload, and for recordings made before it was stored (their origin was the live start too).
   */
  timelineOrigin: Date | null;
  endedAt: Date | null;
  /** What the replay plays: the whole recording, or what its cut keeps. */
  durationSeconds: number | null;
  /** The name its lecturer gave it (null: the seminar's title is shown). */
  title: string | null;
  /** Where the replay is cut, at segment boundaries (null: it plays whole); see media/replay-cut.ts. */
  trim: RecordingTrim | null;
  segments: number;
  discontinuities: number;
  videoCodec: string | null;
  hasPoster: boolean;
  /** Screen shares, each its own playlist under dir, with its start on the main timeline (ms from timelineOrigin). */
  screens: Array<{ name: string; offsetMs: number }>;
  /** The course lesson it became, or null while it waits for staff as a draft. */
  lessonId: string | null;
  /** The node whose recorder writes it, while it is being written (null: written before nodes were tracked). */
  nodeId: string | null;
  /** Subtitle tracks, one per language (server/subtitles). */
  subtitles: SubtitleTrack[];
}

/** A subtitle track: normalized WebVTT in the recording's directory, on the whole recording's timeline (before any cut). */
export interface SubtitleTrack {
  language: 'ru' | 'en';
  /** Relative to the recording's directory: subtitles/<language>-<random>.vtt (a new name per upload). */
  file: string;
  cueCount: number;
  sourceFormat: 'vtt' | 'srt';
  sourceEncoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1251';
  uploadedAt: Date;
  uploadedBy: string;
}

export interface RecordingTrim {
  startSeconds: number;
  endSeconds: number;
  /** The whole recording's length, before the cut. */
  totalSeconds: number;
}

export interface RecordingRepository {
  create(
    r: Pick<Recording, 'dir' | 'startedAt' | 'videoCodec' | 'nodeId'> &
      Partial<Pick<Recording, 'timelineOrigin'>> & { id: string; seminarId: string },
  ): Promise<Recording>;
  /** A recording whose files are complete already (an upload, packaged): created ready. */
  createReady(
    r: Pick<Recording, 'uploaderId' | 'dir' | 'startedAt' | 'endedAt' | 'durationSeconds' | 'segments' | 'videoCodec' | 'hasPoster'> & {
      id: string;
      origin: 'upload';
    },
  ): Promise<Recording>;
  get(id: string): Promise<Recording | null>;
  current(seminarId: string): Promise<Recording | null>;
  latestReady(seminarId: string): Promise<Recording | null>;
  update(id: string, changes: Partial<Omit<Recording, 'id' | 'seminarId' | 'dir'>>): Promise<Recording | null>;
  addScreen(id: string, screen: { name: string; offsetMs: number }): Promise<void>;
  listUnfinished(): Promise<Recording[]>;
  /** Ready recordings with no lessonId, newest first, leaving out those of these seminars. */
  listUnattached(limit: number, exceptSeminarIds?: string[]): Promise<Recording[]>;
  /** Ready uploaded videos of these uploaders, newest first. */
  listUploadsBy(uploaderIds: string[], limit: number): Promise<Recording[]>;
  /** Newest first: of these seminars, or all of them ('all'). */
  list(seminarIds: string[] | 'all', limit: number, cursor?: string): Promise<{ items: Recording[]; nextCursor: string | null }>;
  /** Removes the record; false when there was none. */
  remove(id: string): Promise<boolean>;
}
