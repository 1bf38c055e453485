import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useId, useRef, useState } from 'preact/hooks';
import { ApiError, type FieldIssue } from './api';
import { errorText } from './errors';
import { t } from './i18n';

// Forms that talk to the server. useForm runs the submit once at a time (the
// submit button is disabled meanwhile) and turns the server's refusal into texts:
// a 400 invalid_request's details ([{path, message}]) go beside the fields they
// name, tied to them with aria-describedby and aria-invalid; any other error goes
// above the submit button, in a role="alert" paragraph. Server messages are never
// shown: a field's text comes from the issue's zod code and bounds when the server
// sends them, else from the form's own hint for that field, else a generic one.

export type FieldErrors = Record<string, string>;

/** A text field's value from a form's data ('' when absent or a file). */
export function text(data: FormData, name: string): string {
  const v = data.get(name);
  return typeof v === 'string' ? v : '';
}

/** The reader's text for one refused field. */
export function issueText(issue: FieldIssue, hint?: string): string {
  const count = issue.minimum ?? issue.maximum;
  switch (issue.code) {
    case 'too_small':
      if (issue.minimum === 1) return t('form.required');
      if (count !== undefined) return issue.origin === 'number' ? t('form.tooSmall', { count }) : t('form.tooShort', { count });
      break;
    case 'too_big':
      if (count !== undefined) return issue.origin === 'number' ? t('form.tooBig', { count }) : t('form.tooLong', { count });
      break;
    case 'invalid_format':
      if (issue.format === 'email') return t('form.email');
      break;
  }
  return hint ?? t('form.invalid');
}

/** The refused fields of an error, keyed by path; empty when it is not a field validation error. */
export function fieldErrors(err: unknown, hints: Record<string, string> = {}): FieldErrors {
  if (!(err instanceof ApiError) || err.status !== 400) return {};
  const out: FieldErrors = {};
  for (const issue of err.fieldIssues) out[issue.path] ??= issueText(issue, hints[issue.path]);
  return out;
}

export interface FormState {
  /** Bind to the <form>'s onSubmit. */
  onSubmit: (e: JSX.TargetedSubmitEvent<HTMLFormElement>) => void;
  running: boolean;
  /** Refused fields, by name. */
  errors: FieldErrors;
  /** The error not tied to a field, as text. */
  formError: string | null;
  /** A prefix for the ids of this form's fields and messages. */
  id: string;
}

/**
 * `submit` gets the form's data; whatever it throws is shown in place. `hints` are
 * texts for fields whose refusal carries no code of its own (e.g. "at least 10 characters").
 */
export function useForm(submit: (data: FormData) => Promise<void>, hints: Record<string, string> = {}): FormState {
  const id = useId();
  const [running, setRunning] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const busy = useRef(false);
  const onSubmit = useCallback(
    (e: JSX.TargetedSubmitEvent<HTMLFormElement>) => {
      e.preventDefault();
      if (busy.current) return;
      const form = e.currentTarget;
      busy.current = true;
      setRunning(true);
      setErrors({});
      setFormError(null);
      submit(new FormData(form))
        .catch((err: unknown) => {
          const fields = fieldErrors(err, hints);
          const names = Object.keys(fields);
          setErrors(fields);
          setFormError(names.length > 0 ? t('form.fix') : errorText(err));
          // The first refused field takes the focus, so the reader lands on what to fix.
          const first = names.map((n) => form.elements.namedItem(n)).find((el): el is HTMLInputElement => el instanceof HTMLElement);
          queueMicrotask(() => first?.focus());
        })
        .finally(() => {
          busy.current = false;
          setRunning(false);
        });
    },
    [submit, hints],
  );
  return { onSubmit, running, errors, formError, id };
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'name' | 'id' | 'form'>;

/** A labelled input whose server-side refusal shows beneath it. */
export function Field({ form, name, label, ...input }: { form: FormState; name: string; label: ComponentChildren } & InputProps) {
  const inputId = `${form.id}-${name}`;
  const error = form.errors[name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={inputId}>{label}</label>
      <input
        {...input}
        id={inputId}
        name={name}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
      />
      {error && (
        <p class="field-error" id={`${inputId}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The form's error that belongs to no field; announced when it appears. */
export function FormError({ form }: { form: FormState }) {
  return form.formError ? (
    <p class="form-error" role="alert">
      {form.formError}
    </p>
  ) : null;
}

/** The submit button: disabled while the form runs. */
export function SubmitButton({
  form,
  children,
  class: className = 'primary',
}: {
  form: FormState;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <button type="submit" class={className} disabled={form.running} aria-busy={form.running || undefined}>
      {children}
    </button>
  );
}
