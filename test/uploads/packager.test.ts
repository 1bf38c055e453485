import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageHls, probeVideo } from '../../media';
import { ffprobeJson } from '../support/probe';
import { makeJunk, makeVideo } from '../support/uploads';

// The packager alone: what ffprobe finds, and ffmpeg's -progress reports turned into the
// share done that the upload page shows while a video is processed.

describe('packaging an uploaded video', () => {
  it('reports its progress from ffmpeg up to the whole, for a copy and for a transcode', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-packager-'));
    for (const kind of ['h264', 'vp9'] as const) {
      const source = await makeVideo(dir, kind, { seconds: 6 });
      const probed = await probeVideo('ffprobe', source);
      if (!probed.ok) throw new Error(`probe refused the ${kind} source: ${probed.reason}`);
      expect(probed.probe.video.codec).toBe(kind);
      const out = path.join(dir, `out-${kind}`);
      await mkdir(out);
      const reports: number[] = [];
      const result = await packageHls({
        ffmpegBin: 'ffmpeg',
        input: source,
        outDir: out,
        probe: probed.probe,
        onProgress: (f) => reports.push(f),
      });
      expect(result.copied).toBe(kind === 'h264');
      expect(reports.length).toBeGreaterThan(0);
      // Never backwards, never past the whole, and at the whole (within a frame) at the end.
      expect(reports).toEqual([...reports].sort((a, b) => a - b));
      expect(Math.max(...reports)).toBeLessThanOrEqual(1);
      expect(reports.at(-1)).toBeGreaterThan(0.95);
      const hls = await ffprobeJson(path.join(out, 'index.m3u8'));
      expect(hls.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    }
  }, 120_000);

  it('tells a broken file, an audio file and a video apart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-probe-'));
    expect(await probeVideo('ffprobe', await makeJunk(dir))).toEqual({ ok: false, reason: 'upload_unreadable' });
    const whole = await makeVideo(dir, 'h264', { seconds: 2, name: 'whole.mp4' });
    const audio = path.join(dir, 'voice.mkv');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=300', '-t', '2', '-c:a', 'libopus', audio]);
    expect(await probeVideo('ffprobe', audio)).toEqual({ ok: false, reason: 'upload_no_video' });
    const good = await probeVideo('ffprobe', whole);
    expect(good.ok && good.probe.audio?.codec).toBe('aac');
  }, 60_000);
});
