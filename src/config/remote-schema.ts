/**
 * The config's `configApply:` section: whether an orchestrator may replace this node's
 * configuration over MQTT (`config.apply`), and how long a new configuration has to
 * prove itself before the node rolls back to the previous one (docs/deploy.md).
 *
 * Off by default, like `commands.remoteSet`: a configuration can grant any actuator to
 * remote `set`, so a node nobody configured for fleet management cannot be reconfigured
 * by whoever may publish on its command topic.
 */
import { z } from 'zod';

export const CONFIG_APPLY_DEFAULTS = { enabled: false, healthTimeoutMs: 60_000 } as const;

export const configApplySchema = z.strictObject({
  /** Accept `config.apply`; otherwise it is `forbidden`. `config.get` is always answered. */
  enabled: z.boolean().default(CONFIG_APPLY_DEFAULTS.enabled),
  /**
   * From starting on a new configuration to healthy (every device answered, broker
   * connected); past it the node rolls back. Counted on the new configuration's value.
   */
  healthTimeoutMs: z.int().min(1000).max(600_000).default(CONFIG_APPLY_DEFAULTS.healthTimeoutMs),
});

export type ConfigApplyConfig = z.output<typeof configApplySchema>;
