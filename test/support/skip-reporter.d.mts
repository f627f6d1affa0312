// Types for the reporter (plain ESM: jest loads reporters without transforming them).
interface AssertionLike {
  status: string;
  title: string;
  ancestorTitles: string[];
  failureMessages: string[];
}
interface ResultsLike {
  testResults: { testFilePath: string; testResults: AssertionLike[] }[];
}
export function summaryLines(results: ResultsLike, rootDir: string): string[];
export default class SkipReporter {
  constructor(globalConfig: { rootDir: string });
  onRunComplete(contexts: unknown, results: ResultsLike): void;
}
