import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not found · Agency Reporting" };

// Replaces Next's built-in 404, whose inline styles the Content-Security-Policy refuses.
export default function NotFound() {
  return (
    <main>
      <h1>Not found</h1>
      <p>There is nothing here, or you do not have access to it.</p>
      <p>
        <Link href="/dashboard">Go to the dashboard</Link>
      </p>
    </main>
  );
}
