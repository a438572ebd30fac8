import { byId, element } from './dom.js';

/** A bad value in one form field: shown beside that field. */
export class FieldError extends Error {
  constructor(
    readonly fieldId: string,
    message: string,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}

/** Runs `read` and blames `fieldId` for whatever it throws. */
export function blameField<T>(fieldId: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new FieldError(fieldId, (error as Error).message);
  }
}

/**
 * Marks the field invalid (`aria-invalid`, the message beside it and named by
 * `aria-describedby`), scrolls it into view and puts the focus on it.
 */
export function showFieldError(error: FieldError): void {
  const field = byId<HTMLInputElement>(error.fieldId);
  const id = `${error.fieldId}-error`;
  document.getElementById(id)?.remove();
  const note = element('span', { class: 'field-error', id }, [error.message]);
  field.insertAdjacentElement('afterend', note);
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', id);
  field.scrollIntoView({ block: 'center' });
  field.focus();
  field.addEventListener('input', () => clearFieldError(field), { once: true });
}

function clearFieldError(field: HTMLElement): void {
  document.getElementById(`${field.id}-error`)?.remove();
  field.removeAttribute('aria-invalid');
  field.removeAttribute('aria-describedby');
}

export function clearFieldErrors(): void {
  for (const field of document.querySelectorAll<HTMLElement>('[aria-invalid="true"]')) clearFieldError(field);
}
