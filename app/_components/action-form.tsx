"use client";

import {
  type FormEvent,
  type ReactNode,
  startTransition,
  useActionState,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { type ActionState, IDLE_STATE } from "@/lib/tenancy/action-state";
import styles from "./forms.module.css";

interface ActionFormProps {
  action: (state: ActionState, form: FormData) => Promise<ActionState>;
  submitLabel: string;
  pendingLabel: string;
  /** The button's accessible name when its text alone is ambiguous (a "Suspend" in every row). */
  submitName?: string;
  children?: ReactNode;
  className?: string;
}

/**
 * A form over a server action that shows the action's answer: a refusal as an alert, a success as
 * a status message, and an invite link to copy when there is one. Works without JavaScript too
 * (the browser posts the form to the action).
 */
export function ActionForm({
  action,
  submitLabel,
  pendingLabel,
  submitName,
  children,
  className,
}: ActionFormProps) {
  const [state, formAction, pending] = useActionState(action, IDLE_STATE);
  const formRef = useRef<HTMLFormElement>(null);
  const messageId = useId();

  useEffect(() => {
    if (state.status === "success") formRef.current?.reset();
  }, [state]);

  // React resets a form whenever its action finishes; submitting by hand keeps what was typed
  // when the server refuses it, so the person can correct one field instead of retyping all.
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    startTransition(() => formAction(data));
  }

  return (
    <form
      ref={formRef}
      action={formAction}
      onSubmit={onSubmit}
      aria-busy={pending}
      aria-describedby={state.status === "idle" ? undefined : messageId}
      className={className ?? styles.form}
    >
      {children}
      <button type="submit" disabled={pending} aria-label={submitName}>
        {pending ? pendingLabel : submitLabel}
      </button>
      {state.status === "error" && (
        <p id={messageId} role="alert" className={styles.error}>
          {state.message}
        </p>
      )}
      {state.status === "success" && (
        <div id={messageId} role="status">
          <p>{state.message}</p>
          {state.link && <CopyableLink link={state.link} />}
        </div>
      )}
    </form>
  );
}

function CopyableLink({ link }: { link: string }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  async function copy() {
    await navigator.clipboard.writeText(link);
    setCopied(true);
  }
  return (
    <p className={styles.field}>
      <label htmlFor={id}>Invitation link</label>
      <input id={id} readOnly value={link} onFocus={(event) => event.currentTarget.select()} />
      <button type="button" onClick={copy}>
        {copied ? "Copied" : "Copy link"}
      </button>
    </p>
  );
}
