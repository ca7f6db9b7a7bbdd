import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getActiveSession } from "@/lib/auth";
import { CredentialsForm } from "../_components/credentials-form";

export const metadata: Metadata = { title: "Sign in · Agency Reporting" };

export default async function SignInPage() {
  if (await getActiveSession()) redirect("/dashboard");
  return (
    <main>
      <h1>Sign in</h1>
      <CredentialsForm mode="sign-in" />
      <p>
        No account yet? <Link href="/sign-up">Create one</Link>
      </p>
    </main>
  );
}
