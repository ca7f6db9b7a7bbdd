import type { InputHTMLAttributes, ReactNode } from "react";
import styles from "./forms.module.css";

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  id: string;
  label: string;
  /** Shown under the input and announced with it (`aria-describedby`). */
  hint?: ReactNode;
}

/** A labelled input of a form; every other prop goes to the `<input>`. */
export function Field({ id, label, hint, ...input }: FieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const describedBy = [input["aria-describedby"], hintId].filter(Boolean).join(" ") || undefined;
  return (
    <p className={styles.field}>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} aria-describedby={describedBy} />
      {hint && <small id={hintId}>{hint}</small>}
    </p>
  );
}
