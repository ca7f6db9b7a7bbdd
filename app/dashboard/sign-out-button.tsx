"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { authClient, describeAuthError } from "@/lib/auth/client";
import styles from "../_components/forms.module.css";

export function SignOutButton() {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signOut() {
    setPending(true);
    setError(null);
    const { error: failure } = await authClient.signOut();
    setPending(false);
    if (failure) {
      setError(describeAuthError(failure));
      return;
    }
    router.replace("/sign-in");
    router.refresh();
  }

  return (
    <>
      <button type="button" onClick={signOut} disabled={pending} aria-busy={pending}>
        {pending ? "Signing out…" : "Sign out"}
      </button>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
    </>
  );
}
