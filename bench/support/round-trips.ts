import { createDbConnection } from "@/lib/db/client";
import { time } from "../measure";

/** `count` timings of `select 1` on one open connection to `url`: the price of one query. */
export async function roundTrips(url: string, count: number): Promise<number[]> {
  const connection = createDbConnection({ url, max: 1, applicationName: "bench:round-trip" });
  try {
    await connection.client`select 1`;
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      samples.push(await time(() => connection.client`select 1`));
    }
    return samples;
  } finally {
    await connection.close();
  }
}
