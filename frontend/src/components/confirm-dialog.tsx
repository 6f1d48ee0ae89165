"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";

/** A modal confirmation on the native <dialog>: focus moves into it and is trapped
 * there, Escape cancels, and focus returns to the opener when it closes. Its content
 * is a form, so fields in `children` (a password asked again) submit with Enter; with
 * no field, Cancel comes first and takes the focus: the safe choice is the default. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  pendingLabel = "Deleting…",
  pending = false,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pendingLabel?: string;
  pending?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId(); // a page may hold more than one dialog
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!pending) onCancel();
      }}
    >
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!pending) onConfirm();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {/* Only while open: no hidden password field for a password manager to fill. */}
        <div>{open ? children : null}</div>
        <div className="actions">
          <button type="button" className="button" autoFocus onClick={onCancel} disabled={pending}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button-danger"
            disabled={pending}
            aria-busy={pending}
          >
            {pending ? pendingLabel : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
