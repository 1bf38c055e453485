import { useEffect, useRef, useState } from 'preact/hooks';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import type { AudienceStore } from './audience-store';
import '../styles/audience.css';

// "Are you here?": the viewer's prompt with its countdown, and the studio's panel to ask now
// or on a schedule, with how many confirmed the last check.

/** Re-renders each second while `on`: the countdown. */
function useTicks(on: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [on]);
}

export function PresencePrompt({ store }: { store: AudienceStore }) {
  void store.version.value;
  const check = store.check;
  useTicks(check !== null && !store.confirmed);
  const box = useRef<HTMLElement>(null);
  const checkId = check?.checkId;
  // A new check takes the focus once, so a keyboard user answers with Enter.
  useEffect(() => {
    if (checkId) box.current?.querySelector<HTMLButtonElement>('[data-testid="presence-confirm"]')?.focus();
  }, [checkId]);
  if (!check) return null;
  return (
    <section
      ref={box}
      class="panel presence-check"
      aria-labelledby="presence-title"
      data-testid="presence-prompt"
      data-check={check.checkId}
    >
      <h2 id="presence-title">{t('room:audience.askTitle')}</h2>
      {store.confirmed ? (
        <p role="status" data-testid="presence-confirmed">
          {t('room:audience.confirmed')}
        </p>
      ) : (
        <>
          <p role="timer" aria-live="off" data-testid="presence-countdown">
            {t('room:audience.secondsLeft', { count: store.secondsLeft() })}
          </p>
          <ActionButton class="primary" data-testid="presence-confirm" run={() => store.confirm()}>
            {t('room:audience.confirm')}
          </ActionButton>
        </>
      )}
    </section>
  );
}

const SCHEDULES = [10, 15, 20, 30, 45, 60];

export function PresencePanel({ store, live }: { store: AudienceStore; live: boolean }) {
  void store.version.value;
  const result = store.lastResult;
  return (
    <section class="panel presence-panel" aria-labelledby="presence-panel-title" data-testid="presence-panel">
      <h2 id="presence-panel-title">{t('room:audience.panelTitle')}</h2>
      <div class="controls">
        <ActionButton data-testid="presence-ask" disabled={!live} run={() => store.ask()}>
          {t('room:audience.ask')}
        </ActionButton>
        <label class="presence-schedule">
          {t('room:audience.schedule')}{' '}
          <select
            data-testid="presence-schedule"
            value={store.everyMinutes === null ? '' : String(store.everyMinutes)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              store.schedule(v === '' ? null : Number(v)).catch((err: unknown) => toast(errorText(err)));
            }}
          >
            <option value="">{t('room:audience.scheduleOff')}</option>
            {SCHEDULES.map((m) => (
              <option key={m} value={String(m)}>
                {t('room:audience.every', { count: m })}
              </option>
            ))}
          </select>
        </label>
      </div>
      {result && (
        <p role="status" data-testid="presence-result">
          {t('room:audience.result', { confirmed: result.confirmed, asked: result.asked })}
        </p>
      )}
    </section>
  );
}
