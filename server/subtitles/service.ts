import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Actor } from '../accounts/grants';
import { ConflictError } from '../errors';
import type { Logger } from '../logger';
import type { PlaybackSubtitle, SubtitleLanguage, SubtitleTrackView } from '../protocol/subtitles';
import type { Recording, RecordingRepository, SubtitleTrack } from '../recordings/model';
import type { Seminar } from '../seminars/model';
import { parseSubtitles } from './parse';
import { cuesOnCut, readVtt, transcriptOf, writeVtt, type TimedCue } from './vtt';

export interface SubtitleDeps {
  recordings: RecordingRepository;
  /** The recording if the actor may change it (library.managed): 403/404 otherwise. */
  managed(actor: Actor, id: string): Promise<{ recording: Recording; seminar: Seminar | null }>;
  recordingsDir: string;
  /** The replay playlist's name for a cut (media's replayPlaylistName), and its key in file names (cutKey). */
  replayPlaylist(trim: Recording['trim']): string;
  cutKey(trim: Recording['trim']): string;
  /** Where the playlist's first segment starts, in MPEG-TS 90 kHz units (null: unknown). */
  startPts(playlist: string): Promise<number | null>;
  logger: Logger;
}

const LABELS: Record<SubtitleLanguage, string> = { ru: 'Русский', en: 'English' };

/** The files served beside a recording's media (server/http/subtitle-media.ts). */
export const SUBTITLE_MEDIA_FILE =
  /^(?:subtitled-(whole|\d{1,9}-\d{1,9})\.m3u8|subtitles-(ru|en)-(whole|\d{1,9}-\d{1,9})\.(m3u8|vtt|json))$/;

export interface SubtitleMedia {
  body: string;
  type: string;
}

/**
 * A recording's subtitle tracks: uploaded (WebVTT or SRT, parsed and stored as WebVTT), replaced
 * and deleted by whoever may change the recording, and served to its replay: a master playlist
 * that adds a subtitle group to the replay's playlist, a playlist and a WebVTT file per track,
 * and the transcript. Cue times in an upload are times of the replay as it plays (as cut, as the
 * downloaded MP4 has them); they are stored on the whole recording's timeline, so a later cut
 * keeps each cue on its words, and served moved onto the cut.
 */
export class SubtitleService {
  /** Stored tracks read back, by file: each upload is a new file, so an entry never goes stale. */
  private readonly parsed = new LRUCache<string, TimedCue[]>({ max: 200 });
  private readonly pts = new LRUCache<string, { value: number | null }>({ max: 1000 });
  private readonly changes = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: SubtitleDeps) {}

  /** Adds or replaces the language's track. Nothing is written unless the file parses whole. */
  upload(actor: Actor, recordingId: string, language: SubtitleLanguage, bytes: Uint8Array): Promise<SubtitleTrackView> {
    return this.serial(recordingId, async () => {
      const { recording } = await this.deps.managed(actor, recordingId);
      if (recording.status !== 'ready')
        throw new ConflictError('recording_not_ready', `The recording is ${recording.status}, not finished`);
      const parsed = parseSubtitles(bytes, recording.durationSeconds ?? 0);
      const offset = recording.trim?.startSeconds ?? 0;
      const cues = parsed.cues.map((c) => ({ start: c.start + offset, end: c.end + offset, text: c.text }));
      const dir = this.absoluteDir(recording);
      const file = `subtitles/${language}-${randomBytes(6).toString('hex')}.vtt`;
      const full = path.join(dir, file);
      await mkdir(path.dirname(full), { recursive: true });
      // Written whole under another name, then renamed: no reader sees half a file.
      await writeFile(`${full}.part`, writeVtt(cues));
      await rename(`${full}.part`, full);
      const track: SubtitleTrack = {
        language,
        file,
        cueCount: cues.length,
        sourceFormat: parsed.format,
        sourceEncoding: parsed.encoding,
        uploadedAt: new Date(),
        uploadedBy: actor.kind === 'user' ? actor.userId : '',
      };
      const previous = recording.subtitles.find((t) => t.language === language);
      try {
        await this.deps.recordings.update(recording.id, {
          subtitles: [...recording.subtitles.filter((t) => t.language !== language), track].sort((a, b) =>
            a.language.localeCompare(b.language),
          ),
        });
      } catch (err) {
        await rm(full, { force: true });
        throw err;
      }
      if (previous) await this.removeFile(recording, previous);
      this.deps.logger.info(
        { recordingId, language, cues: cues.length, format: parsed.format, encoding: parsed.encoding },
        'subtitles uploaded',
      );
      return trackView(track);
    });
  }

  /** Deletes the language's track; nothing when there is none. */
  remove(actor: Actor, recordingId: string, language: SubtitleLanguage): Promise<void> {
    return this.serial(recordingId, async () => {
      const { recording } = await this.deps.managed(actor, recordingId);
      const track = recording.subtitles.find((t) => t.language === language);
      if (!track) return;
      await this.deps.recordings.update(recording.id, { subtitles: recording.subtitles.filter((t) => t.language !== language) });
      await this.removeFile(recording, track);
      this.deps.logger.info({ recordingId, language }, 'subtitles deleted');
    });
  }

  views(recording: Recording): SubtitleTrackView[] {
    return recording.subtitles.map(trackView);
  }

  /**
   * What a finished recording's player loads under its signed prefix: the master playlist when
   * it has subtitles (else the replay's own playlist), and each track's transcript.
   */
  playback(recording: Recording, prefix: string): { playlistUrl: string; subtitles: PlaybackSubtitle[] } {
    const key = this.deps.cutKey(recording.trim);
    if (recording.status !== 'ready' || recording.subtitles.length === 0)
      return { playlistUrl: `${prefix}/${this.deps.replayPlaylist(recording.status === 'ready' ? recording.trim : null)}`, subtitles: [] };
    return {
      playlistUrl: `${prefix}/subtitled-${key}.m3u8`,
      subtitles: recording.subtitles.map((t) => ({ language: t.language, transcriptUrl: `${prefix}/subtitles-${t.language}-${key}.json` })),
    };
  }

  /** A file of SUBTITLE_MEDIA_FILE for a recording; null when there is no such file (another cut, no such track). */
  async media(recording: Recording, name: string): Promise<SubtitleMedia | null> {
    const match = SUBTITLE_MEDIA_FILE.exec(name);
    if (!match || recording.status !== 'ready') return null;
    const [, masterKey, language, trackKey, ext] = match;
    const key = this.deps.cutKey(recording.trim);
    if ((masterKey ?? trackKey) !== key) return null;
    const replay = this.deps.replayPlaylist(recording.trim);
    if (masterKey) {
      if (recording.subtitles.length === 0) return null;
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3'];
      for (const t of recording.subtitles) {
        lines.push(
          `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="${LABELS[t.language]}",LANGUAGE="${t.language}",DEFAULT=NO,AUTOSELECT=NO,URI="subtitles-${t.language}-${key}.m3u8"`,
        );
      }
      lines.push('#EXT-X-STREAM-INF:BANDWIDTH=2000000,SUBTITLES="subs"', replay, '');
      return { body: lines.join('\n'), type: 'application/vnd.apple.mpegurl' };
    }
    const track = recording.subtitles.find((t) => t.language === language);
    if (!track) return null;
    if (ext === 'm3u8') {
      // One WebVTT file for the whole replay, as long as what plays.
      const duration = Math.max(0.001, recording.durationSeconds ?? 0);
      const body = [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        `#EXT-X-TARGETDURATION:${Math.ceil(duration)}`,
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        `#EXTINF:${duration.toFixed(3)},`,
        `subtitles-${track.language}-${key}.vtt`,
        '#EXT-X-ENDLIST',
        '',
      ].join('\n');
      return { body, type: 'application/vnd.apple.mpegurl' };
    }
    const cues = cuesOnCut(await this.cues(recording, track), recording.trim);
    if (ext === 'json') return { body: JSON.stringify(transcriptOf(cues)), type: 'application/json; charset=utf-8' };
    const pts = await this.startPts(recording, replay);
    const header = pts === null ? [] : [`X-TIMESTAMP-MAP=MPEGTS:${pts},LOCAL:00:00:00.000`];
    return { body: writeVtt(cues, header), type: 'text/vtt; charset=utf-8' };
  }

  private async cues(recording: Recording, track: SubtitleTrack): Promise<TimedCue[]> {
    const full = path.join(this.absoluteDir(recording), track.file);
    let cues = this.parsed.get(full);
    if (!cues) {
      cues = readVtt(await readFile(full, 'utf8'));
      this.parsed.set(full, cues);
    }
    return cues;
  }

  private async startPts(recording: Recording, playlist: string): Promise<number | null> {
    const key = `${recording.id}/${playlist}`;
    const known = this.pts.get(key);
    if (known) return known.value;
    const value = await this.deps.startPts(path.join(this.absoluteDir(recording), playlist));
    this.pts.set(key, { value });
    return value;
  }

  private async removeFile(recording: Recording, track: SubtitleTrack): Promise<void> {
    await rm(path.join(this.absoluteDir(recording), track.file), { force: true }).catch((err: unknown) =>
      this.deps.logger.warn({ err, recordingId: recording.id, file: track.file }, 'could not remove a replaced subtitle file'),
    );
  }

  private absoluteDir(recording: Recording): string {
    const dir = path.resolve(this.deps.recordingsDir, recording.dir);
    if (!dir.startsWith(path.resolve(this.deps.recordingsDir) + path.sep))
      throw new Error(`recording ${recording.id} lies outside the recordings directory`);
    return dir;
  }

  /** Changes of one recording's subtitles, one at a time: two uploads at once could each keep their own list. */
  private serial<T>(id: string, op: () => Promise<T>): Promise<T> {
    const next = (this.changes.get(id) ?? Promise.resolve()).then(op, op);
    const tail = next.catch(() => undefined);
    this.changes.set(id, tail);
    void tail.then(() => {
      if (this.changes.get(id) === tail) this.changes.delete(id);
    });
    return next;
  }
}

function trackView(t: SubtitleTrack): SubtitleTrackView {
  return {
    language: t.language,
    cueCount: t.cueCount,
    sourceFormat: t.sourceFormat,
    sourceEncoding: t.sourceEncoding,
    uploadedAt: t.uploadedAt.toISOString(),
  };
}
