"use client";

import { useState } from "react";

import type { User } from "@/api/http";
import { DeleteOwnAccountDialog } from "@/components/delete-account-dialog";

export function DeleteAccount({ user }: { user: User }) {
  const [open, setOpen] = useState(false);

  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>This deletes your account and signs you out everywhere. It cannot be undone.</p>
      <button type="button" className="button button-danger" onClick={() => setOpen(true)}>
        Delete my account…
      </button>
      <DeleteOwnAccountDialog user={user} open={open} onClose={() => setOpen(false)} />
    </section>
  );
}
