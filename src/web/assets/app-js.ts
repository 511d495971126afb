/**
 * The page's one script: the two parts in one function scope, so nothing leaks
 * into the page's globals.
 */
import { CLIENT_CORE } from './client-core.js';
import { CLIENT_RENDER } from './client-render.js';

export const APP_JS = `'use strict';\n(function () {\n${CLIENT_CORE}\n${CLIENT_RENDER}\n})();\n`;
