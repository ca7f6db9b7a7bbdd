import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getActiveSession } from "@/lib/auth";
import { CredentialsForm } from "../_components/credentials-form";

export const metadata: Metadata = { title: "Create an account · Agency Reporting" };

export default async function SignUpPage() {
  if (await getActiveSession()) redirect("/dashboard");
  return (
    <main>
      <h1>Create an account</h1>
      <CredentialsForm mode="sign-up" />
      <p>
        Already have an account? <Link href="/sign-in">Sign in</Link>
      </p>
    </main>
  );
}
