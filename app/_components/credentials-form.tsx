"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useId, useState } from "react";
import {
  authClient,
  describeAuthError,
  NAME_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "@/lib/auth/client";
import { Field } from "./field";
import styles from "./forms.module.css";

type Mode = "sign-up" | "sign-in";

const LABELS: Record<Mode, { submit: string; pending: string }> = {
  "sign-up": { submit: "Create account", pending: "Creating account…" },
  "sign-in": { submit: "Sign in", pending: "Signing in…" },
};

/**
 * Sign-up and sign-in through Better Auth's HTTP API (not a server action): `auth.api.*` calls
 * made on the server skip rate limiting, the browser's requests do not.
 */
export function CredentialsForm({ mode }: { mode: Mode }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setPending(true);
    setError(null);
    try {
      const { error: failure } =
        mode === "sign-up"
          ? await authClient.signUp.email({ name: String(form.get("name") ?? ""), email, password })
          : await authClient.signIn.email({ email, password });
      if (failure) {
        setError(describeAuthError(failure));
        return;
      }
      router.replace("/dashboard");
      router.refresh();
    } catch {
      setError("The server could not be reached. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  const describedBy = error ? errorId : undefined;
  return (
    <form onSubmit={onSubmit} aria-busy={pending} className={styles.form}>
      {mode === "sign-up" && (
        <Field
          id="name"
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={NAME_MAX_LENGTH}
        />
      )}
      <Field
        id="email"
        label="Email"
        name="email"
        type="email"
        autoComplete={mode === "sign-up" ? "email" : "username"}
        required
        aria-describedby={describedBy}
      />
      <Field
        id="password"
        label="Password"
        name="password"
        type="password"
        autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
        required
        minLength={mode === "sign-up" ? PASSWORD_MIN_LENGTH : undefined}
        maxLength={PASSWORD_MAX_LENGTH}
        aria-describedby={describedBy}
        hint={
          mode === "sign-up" ? `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.` : null
        }
      />
      {error && (
        <p id={errorId} role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <button type="submit" disabled={pending}>
        {pending ? LABELS[mode].pending : LABELS[mode].submit}
      </button>
    </form>
  );
}
