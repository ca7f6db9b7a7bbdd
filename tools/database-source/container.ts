import { DatabaseSourceError, describeError } from "./errors";

/** Same major version as the embedded server, so both paths test against Postgres 18. */
const POSTGRES_IMAGE = "postgres:18-alpine";

export interface ContainerServer {
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startPostgresContainer(): Promise<ContainerServer> {
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  try {
    const container = await new PostgreSqlContainer(POSTGRES_IMAGE).start();
    return {
      adminUrl: container.getConnectionUri(),
      stop: async () => {
        await container.stop();
      },
    };
  } catch (error) {
    throw new DatabaseSourceError(
      `Could not start a ${POSTGRES_IMAGE} container: ${describeError(error)}. ` +
        "Check that the container runtime can pull and run images, or set TEST_DATABASE_URL " +
        "to a Postgres server the tests may create databases on.",
      { cause: error },
    );
  }
}
