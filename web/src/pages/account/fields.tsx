import type { ComponentChildren, JSX } from 'preact';
import type { FormState } from '../../kit/form';

// The kit's Field is a text input; these are the account forms' other controls, with the
// server's refusal beside them in the same way (aria-invalid, aria-describedby).

function described(form: FormState, name: string) {
  const id = `${form.id}-${name}`;
  const error = form.errors[name];
  return {
    id,
    error,
    aria: { 'aria-invalid': error ? ('true' as const) : undefined, 'aria-describedby': error ? `${id}-error` : undefined },
  };
}

function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <p class="field-error" id={`${id}-error`}>
      {error}
    </p>
  ) : null;
}

export function SelectField({
  form,
  name,
  label,
  children,
  hint,
  ...select
}: { form: FormState; name: string; label: ComponentChildren; children: ComponentChildren; hint?: string } & Omit<
  JSX.SelectHTMLAttributes<HTMLSelectElement>,
  'name' | 'id' | 'form'
>) {
  const { id, error, aria } = described(form, name);
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <select {...select} id={id} name={name} {...aria}>
        {children}
      </select>
      {hint && <p class="muted hint">{hint}</p>}
      <FieldError id={id} error={error} />
    </div>
  );
}

/** A checkbox whose refusal may come under a nested path (consent.accepted). */
export function CheckField({
  form,
  name,
  errorPaths = [name],
  children,
}: {
  form: FormState;
  name: string;
  errorPaths?: string[];
  children: ComponentChildren;
}) {
  const { id, aria } = described(form, name);
  const error = errorPaths.map((p) => form.errors[p]).find(Boolean);
  const a = { 'aria-invalid': error ? ('true' as const) : undefined, 'aria-describedby': error ? `${id}-error` : undefined };
  return (
    <div class={`field check${error ? ' invalid' : ''}`}>
      <input type="checkbox" id={id} name={name} value="yes" {...(error ? a : aria)} />
      <label for={id}>{children}</label>
      <FieldError id={id} error={error} />
    </div>
  );
}
