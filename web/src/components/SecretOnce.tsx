import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { Notice } from './Notice';

interface Props {
  /** The secret itself. */
  value: string;
  /** What it is, in the fallback message: "the token is selected". */
  noun: string;
  /** The success notice above it. */
  notice: ComponentChildren;
  label: ComponentChildren;
  inputId: string;
  boxTestId: string;
  inputTestId: string;
  copyTestId: string;
  doneTestId?: string;
  onDone: () => void;
  /** Below the copy status. */
  children?: ComponentChildren;
}

/** A secret shown once, after its creation: read-only, selected on focus,
 *  a Copy button (or, without a clipboard, the secret selected and how to
 *  copy it by hand) and Done. */
export function SecretOnce({ value, noun, notice, label, inputId, boxTestId, inputTestId, copyTestId, doneTestId, onDone, children }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [said, setSaid] = useState<string | null>(null);
  async function copy() {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(value);
      setSaid('Copied to the clipboard.');
    } catch {
      input.current?.focus();
      input.current?.select();
      setSaid(`Copying is not available here: the ${noun} is selected, press Ctrl+C (⌘C on a Mac) to copy it.`);
    }
  }
  return (
    <div class="new-token" data-testid={boxTestId}>
      <Notice tone="success">{notice}</Notice>
      <div class="copy-row">
        <div class="field">
          <label for={inputId}>{label}</label>
          <input
            ref={input}
            id={inputId}
            type="text"
            readOnly
            value={value}
            data-testid={inputTestId}
            spellcheck={false}
            autoComplete="off"
            onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          />
        </div>
        <button type="button" class="button primary" onClick={() => void copy()} data-testid={copyTestId}>
          Copy
        </button>
        <button type="button" class="button" onClick={onDone} data-testid={doneTestId}>
          Done
        </button>
      </div>
      <p class="hint" role="status">
        {said}
      </p>
      {children}
    </div>
  );
}
