// The firewall's counters as one log record: the connection table (flows by state, mappings,
// evictions, its fixed memory), drops by reason, and matches per rule by line number.

import type { LogFields } from '@oasis/core';
import type { ConnectionTable, FirewallPolicy } from '@oasis/nat';

export function firewallReport(policy: FirewallPolicy, table: ConnectionTable): LogFields {
  const fields: Record<string, string | number> = {
    flows: table.size,
    maxFlows: table.capacity,
    mappings: table.mappings,
    evictions: table.evictions,
    expirations: table.expirations,
    tableBytes: table.memoryBytes,
  };
  for (const [state, count] of Object.entries(table.stateCounts())) {
    fields[`flows.${state}`] = count;
  }
  for (const [reason, count] of Object.entries(policy.drops.snapshot())) {
    fields[`drop.${reason}`] = count;
  }
  const { rules } = policy.rules;
  const counts = policy.rules.counts();
  rules.forEach((rule, index) => {
    fields[`rule.${rule.line}.${rule.action}`] = counts.byRule[index] ?? 0;
  });
  fields['rule.none.drop'] = counts.unmatched;
  return fields;
}
