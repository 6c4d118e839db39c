// Denial explanations: the event, its participants, the bindings that applied, the rule that
// denied and why, in words; plus the multi-line text form shown to developers.
import type { EventKind, Origin } from './ir.ts';

export interface Party {
  /** Class name, or `#<index>` when the event named no known class. */
  readonly class: string;
  readonly sid: number;
  readonly task?: string;
}

/** What happened, as shared by explanations and audit records. */
export interface EventDescription {
  /** As received: an invalid event may carry an unknown kind (`?` if unreadable). */
  readonly event: EventKind;
  readonly src: Party;
  readonly dst: Party;
  readonly interface?: string;
  readonly endpoint?: string;
  readonly method?: string;
  /** Origins of the bindings whose selectors matched the event. */
  readonly bindings: readonly Origin[];
}

export interface Explanation extends EventDescription {
  /** The rule (or `choice`) that denied or failed, when one did. */
  readonly rule?: Origin;
  /** Why, in words: `request_state.enter: transition a → b not allowed; …`. */
  readonly reason: string;
  /** True when the denial comes from an evaluation error rather than a rule's verdict. */
  readonly error: boolean;
}

function party(p: Party): string {
  const who = p.task === undefined ? `sid ${p.sid}` : `${p.task}, sid ${p.sid}`;
  return `${p.class} (${who})`;
}

export function formatExplanation(e: Explanation): string {
  const lines = [`denied ${e.event}: ${party(e.src)}${e.event === 'security' ? '' : ` → ${party(e.dst)}`}`];
  if (e.endpoint !== undefined || e.method !== undefined) {
    const at = [e.endpoint && `endpoint ${e.endpoint}`, e.interface && `interface ${e.interface}`, e.method && `method ${e.method}`];
    lines.push(`  target:   ${at.filter(Boolean).join(', ')}`);
  }
  lines.push(`  bindings: ${e.bindings.length === 0 ? 'none' : e.bindings.join(', ')}`);
  if (e.rule !== undefined) lines.push(`  rule:     ${e.rule}`);
  lines.push(`  ${e.error ? 'error: ' : 'reason:'}   ${e.reason}`);
  return lines.join('\n');
}
