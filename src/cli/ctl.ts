/**
 * `benchloop ctl …`: the orchestrator's side of the wire protocol at a terminal,
 * one file per subcommand, all on the client library (src/client/).
 */
import type { Command } from 'commander';
import { registerDeployModel } from './ctl-deploy-model.js';
import { registerDescribe } from './ctl-describe.js';
import { registerNodes } from './ctl-nodes.js';
import { registerRead } from './ctl-read.js';
import { registerRunPlan } from './ctl-run-plan.js';
import { registerSend } from './ctl-send.js';
import { registerSet } from './ctl-set.js';
import { registerWatch } from './ctl-watch.js';

export function registerCtl(program: Command): void {
  const ctl = program
    .command('ctl')
    .description(
      'command nodes over MQTT as an orchestrator: nodes, describe, send, set, read, watch, deploy-model, run-plan',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the node refused (reply error), 2 timeout, 3 node offline or unknown, 4 plan aborted,\n64 usage, 66 file unreadable, 69 broker unreachable, 70 internal error, 77 broker refused credentials or ACL.\nThe broker URL may also come from BENCHLOOP_MQTT_URL.',
    );
  for (const register of [
    registerNodes,
    registerDescribe,
    registerSend,
    registerSet,
    registerRead,
    registerWatch,
    registerDeployModel,
    registerRunPlan,
  ])
    register(ctl);
}
