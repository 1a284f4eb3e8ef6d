/**
 * The Prometheus alert rules in deploy/observability: valid (`promtool check rules`), each alert
 * firing and staying quiet where its unit tests say (`promtool test rules`), and each runbook
 * link pointing at a section of docs/operations.md under "## Alerts".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { promtool } from './support/promtool';

const ROOT = join(__dirname, '..');
const RULES = 'deploy/observability/alerts.yaml';
const RULE_TESTS = 'deploy/observability/alerts.test.yaml';

interface AlertRule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}

const alerts: AlertRule[] = (
  parse(readFileSync(join(ROOT, RULES), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }
).groups.flatMap((group) => group.rules);

/** GitHub's anchor of a Markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const run = promtool(['check', 'rules', RULES]);
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${alerts.length} rules found`),
    });
  });

  it('pass their promtool unit tests, which cover every alert firing and not firing', () => {
    const run = promtool(['test', 'rules', RULE_TESTS]);
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
    const tests = parse(readFileSync(join(ROOT, RULE_TESTS), 'utf8')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of alerts) {
      const own = cases.filter((c) => c.alertname === alert);
      expect({ alert, fires: own.some((c) => c.exp_alerts.length > 0) }).toEqual({
        alert,
        fires: true,
      });
      expect({ alert, quiet: own.some((c) => c.exp_alerts.length === 0) }).toEqual({
        alert,
        quiet: true,
      });
    }
  });

  it('link each alert to its runbook section under "## Alerts" in docs/operations.md', () => {
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const alertsSection = operations.split(/^## /m).find((s) => s.startsWith('Alerts\n'));
    expect(alertsSection).toBeDefined();
    const anchors = [...alertsSection!.matchAll(/^### (.+)$/gm)].map((m) => anchorOf(m[1]));
    for (const { alert, annotations } of alerts) {
      expect({ alert, runbook: annotations.runbook_url }).toEqual({
        alert,
        runbook: `docs/operations.md#${anchorOf(alert)}`,
      });
      expect(anchors).toContain(anchorOf(alert));
    }
  });
});
