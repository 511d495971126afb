/** The commands this node implements; a new command is one file and one entry here. */
import { configApply } from './config-apply.js';
import { configGet } from './config-get.js';
import { describe } from './describe.js';
import { modelBegin } from './model-begin.js';
import { modelCommit } from './model-commit.js';
import { modelList } from './model-list.js';
import { modelPromote } from './model-promote.js';
import { modelRollback } from './model-rollback.js';
import { ping } from './ping.js';
import { planAbort } from './plan-abort.js';
import { planRun } from './plan-run.js';
import { planStatus } from './plan-status.js';
import { read } from './read.js';
import { set } from './set.js';

export const BUILTIN_COMMANDS = [
  ping,
  describe,
  read,
  set,
  planRun,
  planAbort,
  planStatus,
  modelBegin,
  modelCommit,
  modelPromote,
  modelRollback,
  modelList,
  configGet,
  configApply,
] as const;
