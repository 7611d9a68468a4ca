import type { ComponentChildren, InputHTMLAttributes } from 'preact';

interface BaseProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ComponentChildren;
}

interface TextFieldProps extends BaseProps {
  value: string;
  onValue: (v: string) => void;
  type?: 'text' | 'email' | 'password' | 'date' | 'number' | 'search';
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: string;
  max?: string;
  readOnly?: boolean;
  spellcheck?: boolean;
  testId?: string;
  inputMode?: 'text' | 'numeric' | 'decimal' | 'email';
  list?: string;
}

/** A labelled input with its message (aria-invalid, aria-describedby). */
export function TextField(p: TextFieldProps) {
  const describedBy = [p.error ? `${p.id}-error` : null, p.hint ? `${p.id}-hint` : null].filter(Boolean).join(' ');
  // Preact types <input> as a union on `type`; this one element takes several.
  const attrs = {
    id: p.id,
    name: p.id,
    type: p.type ?? 'text',
    value: p.value,
    onInput: (e: Event) => p.onValue((e.currentTarget as HTMLInputElement).value),
    autoComplete: p.autoComplete,
    'aria-invalid': p.error ? 'true' : undefined,
    'aria-describedby': describedBy || undefined,
    'aria-required': p.required ? 'true' : undefined,
    minLength: p.minLength,
    maxLength: p.maxLength,
    min: p.min,
    max: p.max,
    readOnly: p.readOnly,
    spellcheck: p.spellcheck,
    'data-testid': p.testId,
    inputMode: p.inputMode,
    list: p.list,
  } as InputHTMLAttributes<HTMLInputElement>;
  return (
    <div class={`field${p.error ? ' field-invalid' : ''}`}>
      <label for={p.id}>{p.label}</label>
      <input {...attrs} />
      {p.hint && (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      {p.error && (
        <p class="field-error" id={`${p.id}-error`} data-testid={`${p.id}-error`}>
          {p.error}
        </p>
      )}
    </div>
  );
}

interface SelectFieldProps extends BaseProps {
  value: string;
  onValue: (v: string) => void;
  options: { value: string; label: string }[];
  testId?: string;
}

export function SelectField(p: SelectFieldProps) {
  const describedBy = [p.error ? `${p.id}-error` : null, p.hint ? `${p.id}-hint` : null].filter(Boolean).join(' ');
  return (
    <div class={`field${p.error ? ' field-invalid' : ''}`}>
      <label for={p.id}>{p.label}</label>
      <select
        id={p.id}
        name={p.id}
        value={p.value}
        onChange={(e) => p.onValue((e.currentTarget as HTMLSelectElement).value)}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
        data-testid={p.testId}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {p.hint && (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      {p.error && (
        <p class="field-error" id={`${p.id}-error`} data-testid={`${p.id}-error`}>
          {p.error}
        </p>
      )}
    </div>
  );
}

interface CheckFieldProps extends BaseProps {
  checked: boolean;
  onChecked: (v: boolean) => void;
  testId?: string;
}

/** A checkbox with its label and hint beside it, and its message. */
export function CheckField(p: CheckFieldProps) {
  const describedBy = [p.error ? `${p.id}-error` : null, p.hint ? `${p.id}-hint` : null].filter(Boolean).join(' ');
  return (
    <div class={`check-field${p.error ? ' field-invalid' : ''}`}>
      <input
        id={p.id}
        name={p.id}
        type="checkbox"
        checked={p.checked}
        onChange={(e) => p.onChecked((e.currentTarget as HTMLInputElement).checked)}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
        data-testid={p.testId}
      />
      <div>
        <label for={p.id}>{p.label}</label>
        {p.hint && (
          <p class="hint" id={`${p.id}-hint`}>
            {p.hint}
          </p>
        )}
        {p.error && (
          <p class="field-error" id={`${p.id}-error`} data-testid={`${p.id}-error`}>
            {p.error}
          </p>
        )}
      </div>
    </div>
  );
}
