"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import type { User } from "@/api/http";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { FormAlert } from "@/components/forms";
import { useSession } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { describeError } from "@/lib/errors";

export function DeleteAccount({ user }: { user: User }) {
  const { session } = useSession();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);
  const [alert, setAlert] = useState<string | null>(null);

  async function confirm() {
    setPending(true);
    const resume = session.pauseRefresh();
    try {
      await usersApi().remove(user.id);
    } catch (error) {
      resume();
      setAlert(describeError(error));
      setPending(false);
      setOpen(false);
      return;
    }
    await session.signOut("Your account was deleted.");
    router.replace("/sign-in/");
  }

  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>This deletes your account and signs you out everywhere. It cannot be undone.</p>
      <FormAlert message={alert} />
      <button type="button" className="button button-danger" onClick={() => setOpen(true)}>
        Delete my account…
      </button>
      <ConfirmDialog
        open={open}
        title="Delete your account?"
        confirmLabel="Delete my account"
        pending={pending}
        onConfirm={confirm}
        onCancel={() => setOpen(false)}
      >
        <p>
          The account <strong>{user.email}</strong> and all its sessions will be deleted. This
          cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}
