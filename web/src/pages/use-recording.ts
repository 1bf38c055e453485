import { useEffect, useState } from 'preact/hooks';
import { playbackView } from '../../../server/protocol/recordings';
import { apiParsed, ApiError } from '../kit/api';

/** 'ready' once the ended seminar's recording is finalized; 'pending' meanwhile; 'none' without one (or not for this reader). */
export type RecordingState = 'none' | 'pending' | 'ready';

const POLL_MS = 4000;
const GIVE_UP_MS = 120_000;

/**
 * Whether an ended seminar's recording can be replayed. Right after the end it is
 * finalized within seconds: asked again until then, for at most two minutes.
 */
export function useRecordingReady(seminarId: string, ended: boolean): RecordingState {
  const [state, setState] = useState<RecordingState>('none');
  useEffect(() => {
    if (!ended) return setState('none');
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = Date.now() + GIVE_UP_MS;
    const ask = async () => {
      try {
        const playback = await apiParsed(playbackView, 'GET', `/seminars/${encodeURIComponent(seminarId)}/playback`);
        if (stopped) return;
        if (!playback.live) return setState('ready');
        setState('pending');
      } catch (err) {
        // Nothing recorded, or not this reader's to watch: no link. Anything else: ask again.
        if (stopped || (err instanceof ApiError && [401, 403, 404].includes(err.status))) return setState('none');
      }
      if (Date.now() < deadline) timer = setTimeout(() => void ask(), POLL_MS);
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [seminarId, ended]);
  return state;
}
