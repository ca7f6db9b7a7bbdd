/** How the migrator's log lines write durations. */
export const ms = (value: number) => `${Math.round(value)} ms`;
export const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

export type Log = (line: string) => void;

export const consoleLog: Log = (line) => console.log(line);
