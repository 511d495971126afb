/** The commands this node implements; a new command is one file and one entry here. */
import { describe } from './describe.js';
import { ping } from './ping.js';
import { read } from './read.js';
import { set } from './set.js';

export const BUILTIN_COMMANDS = [ping, describe, read, set] as const;
