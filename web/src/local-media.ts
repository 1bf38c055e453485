// The camera and microphone of this browser, for the studio and for a guest on
// stage: which devices there are, opening one, and the microphone's level.

export type DeviceKind = 'camera' | 'mic';

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

/** Why the camera or microphone could not be opened, as a key of room:media. */
export type MediaProblem = 'denied' | 'notFound' | 'busy' | 'unsupported' | 'other';

export function mediaProblem(err: unknown): MediaProblem {
  const name = err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'notFound';
  if (name === 'NotReadableError' || name === 'AbortError') return 'busy';
  if (name === 'TypeError' || !navigator.mediaDevices) return 'unsupported';
  return 'other';
}

const constraints = {
  camera: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
  mic: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
} as const;

/** Cameras and microphones; labels appear once the page was allowed to use a device. */
export async function listDevices(): Promise<Record<DeviceKind, DeviceChoice[]>> {
  const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  const of = (kind: MediaDeviceKind) =>
    all.filter((d) => d.kind === kind && d.deviceId !== '').map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${i + 1}` }));
  return { camera: of('videoinput'), mic: of('audioinput') };
}

/** Both devices at once (one permission prompt), each the one asked for or the default. */
export async function openBoth(ids: Partial<Record<DeviceKind, string>> = {}): Promise<Partial<Record<DeviceKind, MediaStreamTrack>>> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { ...constraints.camera, ...(ids.camera ? { deviceId: { exact: ids.camera } } : {}) },
    audio: { ...constraints.mic, ...(ids.mic ? { deviceId: { exact: ids.mic } } : {}) },
  });
  return { camera: stream.getVideoTracks()[0], mic: stream.getAudioTracks()[0] };
}

/** One device, for switching: the caller swaps it into the producer and stops the old track. */
export async function openDevice(kind: DeviceKind, deviceId: string): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia(
    kind === 'camera'
      ? { video: { ...constraints.camera, deviceId: { exact: deviceId } } }
      : { audio: { ...constraints.mic, deviceId: { exact: deviceId } } },
  );
  const track = kind === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
  if (!track) throw new DOMException('No track from the device', 'NotFoundError');
  return track;
}

/** The device a track comes from, to show it as chosen. */
export function deviceOf(track: MediaStreamTrack | undefined): string | undefined {
  return track?.getSettings().deviceId;
}

/**
 * The microphone's level, 0–1, ten times a second, through the Web Audio AnalyserNode:
 * the RMS of the waveform, scaled so speech fills most of the meter.
 */
export class MicLevel {
  private context: AudioContext | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  level = 0;

  constructor(
    track: MediaStreamTrack,
    private readonly onLevel: (level: number) => void,
  ) {
    try {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this.context = context;
      this.timer = setInterval(() => {
        // A context made before any click starts suspended; the studio's buttons resume it.
        if (context.state === 'suspended') void context.resume().catch(() => undefined);
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const rms = Math.sqrt(sum / samples.length);
        const level = track.enabled ? Math.min(1, rms * 4) : 0;
        if (Math.abs(level - this.level) > 0.01) {
          this.level = level;
          this.onLevel(level);
        }
      }, 100);
    } catch {
      // No Web Audio: no meter.
    }
  }

  close(): void {
    clearInterval(this.timer);
    void this.context?.close().catch(() => undefined);
    this.context = undefined;
  }
}
