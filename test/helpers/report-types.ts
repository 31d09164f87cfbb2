/** The parts of a JSON report (contract.md) the CLI tests read. */
export interface ReportCheck {
  id: string;
  status: string;
  message: string;
  evidence: Record<string, unknown>;
}

export interface Report {
  run: { command: string; environment: string };
  checks: ReportCheck[];
  outcome: string;
}
