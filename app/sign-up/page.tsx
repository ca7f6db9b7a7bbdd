import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getActiveSession, isSignUpEnabled, SIGN_UP_CLOSED_MESSAGE } from "@/lib/auth";
import { CredentialsForm } from "../_components/credentials-form";

export const metadata: Metadata = { title: "Create an account · Agency Reporting" };

export default async function SignUpPage() {
  if (await getActiveSession()) redirect("/dashboard");
  return (
    <main>
      <h1>Create an account</h1>
      {isSignUpEnabled() ? (
        <CredentialsForm mode="sign-up" />
      ) : (
        <p role="alert">{SIGN_UP_CLOSED_MESSAGE}</p>
      )}
      <p>
        Already have an account? <Link href="/sign-in">Sign in</Link>
      </p>
    </main>
  );
}
