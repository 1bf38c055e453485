import type { Signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../kit/i18n';
import type { DeviceChoice, DeviceKind } from '../local-media';

// The camera and microphone pickers and the microphone's level, shared by the
// studio and a guest on stage.

export function DevicePickers(props: {
  idPrefix: string;
  devices: Record<DeviceKind, DeviceChoice[]>;
  current: Partial<Record<DeviceKind, string | undefined>>;
  disabled?: boolean;
  choose: (kind: DeviceKind, deviceId: string) => void;
}) {
  return (
    <div class="devices" role="group" aria-label={t('room:devices.title')}>
      {(['camera', 'mic'] as const).map((kind) => {
        const list = props.devices[kind];
        const id = `${props.idPrefix}-${kind}`;
        return (
          <label key={kind} class="device" for={id}>
            <span>{t(kind === 'camera' ? 'room:devices.camera' : 'room:devices.mic')}</span>
            <select
              id={id}
              data-testid={`${props.idPrefix}-${kind}`}
              disabled={props.disabled === true || list.length === 0}
              value={props.current[kind] ?? ''}
              onChange={(e) => props.choose(kind, e.currentTarget.value)}
            >
              {list.length === 0 && <option value="">{t('room:devices.none')}</option>}
              {list.map((d) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label}
                </option>
              ))}
            </select>
          </label>
        );
      })}
    </div>
  );
}

/** The microphone's level as a meter; reads its own signal so only it re-renders. */
export function LevelMeter({ level, id }: { level: Signal<number>; id: string }) {
  return (
    <label class="level" for={id}>
      <span>{t('room:devices.level')}</span>
      <meter id={id} data-testid={id} min={0} max={1} low={0.05} high={0.85} optimum={0.5} value={level.value} />
    </label>
  );
}

/** Minutes and seconds since `since` (epoch ms), ticking once a second. */
export function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const s = Math.max(0, Math.floor((now - since) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hh > 0 ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return (
    <time data-testid="elapsed" dateTime={`PT${s}S`}>
      {hh > 0 ? `${hh}:` : ''}
      {mm}:{ss}
    </time>
  );
}
