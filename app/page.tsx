import Link from "next/link";

export default function HomePage() {
  return (
    <main>
      <h1>Agency Reporting</h1>
      <p>Weekly reports for every client of the agency.</p>
      <nav aria-label="Account">
        <ul>
          <li>
            <Link href="/sign-in">Sign in</Link>
          </li>
          <li>
            <Link href="/sign-up">Create an account</Link>
          </li>
          <li>
            <Link href="/dashboard">Dashboard</Link>
          </li>
        </ul>
      </nav>
    </main>
  );
}
