export default function HomePage() {
  return (
    <main>
      <h1>Agency Reporting</h1>
      <p>Weekly reports for every client of the agency.</p>
    </main>
  );
}
